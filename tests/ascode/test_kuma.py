"""Uptime Kuma's files to an apply file: the backup (tests/data, as Kuma 1.23 writes it), its
status pages as Kuma serves them, what is noted, and malformed files refused by place."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ascode import importers, loader, validate
from ascode.importers import kuma
from shared import ascode_export

pytestmark = pytest.mark.unit

DATA = Path(__file__).parent.parent / "data"
BACKUP = DATA / "uptime-kuma-backup.json"
PAGE = DATA / "uptime-kuma-status-page.json"


def _page(tmp_path: Path, name: str = "page.json", **changes: Any) -> Path:
    page = json.loads(PAGE.read_text())
    page.update(changes)
    path = tmp_path / name
    path.write_text(json.dumps(page))
    return path


def _groups() -> list[dict[str, Any]]:
    return json.loads(PAGE.read_text())["publicGroupList"]


def test_a_page_keeps_its_groups_in_order_and_its_monitors_by_key():
    result = kuma.convert(BACKUP, status_pages=[PAGE])
    [page] = result.status_pages
    assert page["slug"] == "acme" and page["title"] == "Acme services"
    assert page["groups"] == ["Website", "Infrastructure"]
    assert [(m["monitor"], m["group"], m["position"]) for m in page["monitors"]] == [
        ("site", "Website", 0),
        ("site-keyword", "Website", 1),
        ("status-json", "Website", 2),
        ("web-port", "Infrastructure", 3),
        ("resolver", "Infrastructure", 4),
    ]
    assert "logo_url" not in page  # Kuma's uploaded logo is a file on the Kuma server
    notes = "\n".join(result.skipped)
    for why in (
        "'Redis container' (id 9) was not imported",
        "logo '/upload/logo1.png'",
        "its description has no place",
        "1 pinned incident(s)",
    ):
        assert why in notes, notes
    assert "custom CSS" not in notes  # Kuma's default `body {}` is no custom CSS


def test_the_import_is_a_file_apply_takes(monkeypatch: pytest.MonkeyPatch):
    doc, _ = importers.run("uptime-kuma", BACKUP, False, [PAGE])
    for name in ("TEAM_SLACK_URL", "OPS_TELEGRAM_TOKEN", "OPS_WEBHOOK_URL"):
        monkeypatch.setenv(f"VIGIL_SECRET_{name}", "https://hooks.example.com/x")
    monkeypatch.setenv("VIGIL_SECRET_OPS_WEBHOOK_SECRET", "a-key-of-sixteen-chars")
    text = ascode_export.dump(doc, "https://vigil.example/schema.json")
    desired = validate.check([loader.parse(text, "imported.yaml")])
    assert list(desired["status_page"]) == ["acme"]
    assert desired["channel"]["ops-webhook"].body["kind"] == "webhook"


def test_a_page_as_kuma_2_serves_it(tmp_path: Path):
    # Kuma 2.x answers `incidents` (a list) and `analyticsId`; 1.x `incident` and
    # `googleAnalyticsId` (server/model/status_page.js at 1.23.16 and 2.0.0).
    page = json.loads(PAGE.read_text())
    del page["incident"]
    page["incidents"] = []
    page["config"].update(
        slug="Acme-Status",
        icon="https://cdn.example.com/acme.png",
        description=None,
        analyticsId="G-123",
        autoRefreshInterval=300,
    )
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page))
    result = kuma.convert(BACKUP, status_pages=[path])
    [made] = result.status_pages
    assert made["slug"] == "acme-status" and made["logo_url"] == "https://cdn.example.com/acme.png"
    notes = "\n".join(result.skipped)
    assert "slug 'Acme-Status' became 'acme-status'" in notes
    assert "analytics has no place" in notes and "pinned incident" not in notes


def test_short_slugs_and_odd_groups(tmp_path: Path):
    groups = _groups()
    groups[1]["name"] = "Website"  # two groups of one name: one group
    groups.append(
        {
            "id": 3,
            "name": "",
            "weight": 3,
            "monitorList": [
                {"id": 1, "name": "Site", "sendUrl": 0, "type": "http"},
                {"id": 7, "name": "Nightly backup", "sendUrl": 0, "type": "push"},
            ],
        }
    )
    page = json.loads(PAGE.read_text())
    page["config"]["slug"] = "ab"
    path = _page(tmp_path, publicGroupList=groups, config=page["config"])
    result = kuma.convert(BACKUP, status_pages=[path])
    [made] = result.status_pages
    assert made["slug"] == "ab-status"
    assert made["groups"] == ["Website", "Group 3"]
    assert ("nightly-backup", "Group 3") in [(m["monitor"], m["group"]) for m in made["monitors"]]
    notes = "\n".join(result.skipped)
    assert "two groups are named 'Website'" in notes
    assert "monitor 'Site' is in two groups: kept in the first" in notes


def test_more_groups_than_a_page_takes(tmp_path: Path):
    groups = [{"id": i, "name": f"G{i}", "weight": i, "monitorList": []} for i in range(1, 22)]
    groups[-1]["monitorList"] = [{"id": 4, "name": "Web port", "sendUrl": 0, "type": "port"}]
    result = kuma.convert(BACKUP, status_pages=[_page(tmp_path, publicGroupList=groups)])
    [made] = result.status_pages
    assert len(made["groups"]) == 20 and made["monitors"] == [
        {"monitor": "web-port", "group": None, "position": 0}
    ]


def test_timeouts_only_where_kuma_reads_them_and_under_the_interval():
    result = kuma.convert(BACKUP)
    tests = {m["key"]: m["tests"][0] for m in result.monitors}
    assert tests["site"]["timeout_s"] == 16
    assert "timeout_s" not in tests["loopback-ping"] and "timeout_s" not in tests["resolver"]
    assert tests["inverted"]["timeout_s"] == 16  # Kuma's default 48 s, at a 20 s interval
    assert any("timeout 48 s became 16 s" in n for n in result.skipped)


def test_webhooks_get_a_signing_key_to_set():
    [hook] = [c for c in kuma.convert(BACKUP).channels if c["kind"] == "webhook"]
    assert hook["config"] == {
        "url": {"env": "VIGIL_SECRET_OPS_WEBHOOK_URL"},
        "secret": {"env": "VIGIL_SECRET_OPS_WEBHOOK_SECRET"},
    }
    assert hook["monitors"] == ["site"]


def _edit_backup(tmp_path: Path, edit: Any) -> Path:
    backup = json.loads(BACKUP.read_text())
    edit(backup)
    path = tmp_path / "backup.json"
    path.write_text(json.dumps(backup))
    return path


def _set(*where: Any) -> Any:
    def edit(data: Any) -> None:
        *parents, last, value = where
        for key in parents:
            data = data[key]
        if value is KeyError:
            del data[last]
        else:
            data[last] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_set("monitorList", {"a": 1}), r"monitorList: must be a list, not an object"),
        (_set("monitorList", 2, "nope"), r"monitorList\[2\]: must be an object, not 'nope'"),
        (
            _set("monitorList", 3, "id", KeyError),
            r"monitorList\[3\]\.id: must be a whole number, "
            "not null",
        ),
        (
            _set("monitorList", 0, "interval", "often"),
            r"monitorList\[0\]\.interval: must be a "
            "number, not 'often'",
        ),
        (_set("monitorList", 1, "type", None), r"monitorList\[1\]\.type: must be text"),
        (
            _set("monitorList", 0, "notificationIDList", {"slack": True}),
            r"monitorList\[0\]\.notificationIDList: 'slack' is not a notification id",
        ),
        (
            _set("notificationList", 1, "config", "{broken"),
            r"notificationList\[1\]\.config: not JSON",
        ),
        (_set("notificationList", 0, "id", "1"), r"notificationList\[0\]\.id: must be a whole"),
    ],
)
def test_a_malformed_backup_names_the_place(tmp_path: Path, edit: Any, message: str):
    path = _edit_backup(tmp_path, edit)
    with pytest.raises(loader.FileError, match=rf"^{path}: {message}"):
        kuma.convert(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"publicGroupList": None}, r"publicGroupList: must be a list"),
        ({"config": []}, r"config: must be an object, not a list"),
        ({"config": {"title": "No slug"}}, r"config\.slug: must be text, not null"),
        (
            {"publicGroupList": [{"name": "A", "monitorList": [{"id": 1}, {"id": "7"}]}]},
            r"publicGroupList\[0\]\.monitorList\[1\]\.id: must be a whole number, not '7'",
        ),
        (
            {"publicGroupList": [{"name": 5, "monitorList": []}]},
            r"publicGroupList\[0\]\.name: must be text, not 5",
        ),
        (
            {"publicGroupList": [{"name": "A", "weight": "first", "monitorList": []}]},
            r"publicGroupList\[0\]\.weight: must be a number, not 'first'",
        ),
    ],
)
def test_a_malformed_page_names_the_place(tmp_path: Path, change: dict[str, Any], message: str):
    path = _page(tmp_path, **change)
    with pytest.raises(loader.FileError, match=rf"^{path}: {message}"):
        kuma.convert(BACKUP, status_pages=[path])


def test_what_is_not_a_kuma_file(tmp_path: Path):
    for text, message in (
        ("[1]", "not an Uptime Kuma status page"),
        ("{", "not JSON"),
        ('{"backup": 1}', "not an Uptime Kuma status"),
    ):
        (tmp_path / "p.json").write_text(text)
        with pytest.raises(loader.FileError, match=message):
            kuma.convert(BACKUP, status_pages=[tmp_path / "p.json"])
    (tmp_path / "b.json").write_bytes(b'{"monitorList": ["\xff"]}')
    with pytest.raises(loader.FileError, match="not UTF-8"):
        kuma.convert(tmp_path / "b.json")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_the_command_writes_nothing_for_a_malformed_page(tmp_path: Path):
    out = tmp_path / "vigil.yaml"
    bad = _page(tmp_path, publicGroupList=[{"name": "A", "monitorList": [{"id": None}]}])
    done = _cli(
        "import",
        "uptime-kuma",
        str(BACKUP),
        "--status-page",
        str(PAGE),
        "--status-page",
        str(bad),
        "-o",
        str(out),
    )
    assert done.returncode == 2, done.stderr
    assert f"{bad}: publicGroupList[0].monitorList[0].id: must be a whole number" in done.stderr
    assert not out.exists()


def test_status_pages_are_for_kuma_only(tmp_path: Path):
    done = _cli("import", "gatus", str(DATA / "gatus-config.yaml"), "--status-page", str(PAGE))
    assert done.returncode == 2 and "--status-page is for uptime-kuma" in done.stderr


def _monitor(**fields: Any) -> dict[str, Any]:
    base = {
        "id": 1,
        "name": "M",
        "type": "http",
        "url": "https://example.com/",
        "interval": 60,
        "accepted_statuscodes": ["200-299"],
        "notificationIDList": {},
    }
    return {**base, **fields}


@pytest.mark.parametrize(
    ("fields", "carried", "noted"),
    [
        (
            {"authMethod": None, "basic_auth_user": "u", "basic_auth_pass": "p"},
            {"basic_auth": {"username": "u", "password": "p"}},
            None,
        ),
        (
            {
                "authMethod": "ntlm",
                "basic_auth_user": "u",
                "basic_auth_pass": "p",
                "authDomain": "CORP",
            },
            {},
            "authentication 'ntlm' has no Vigil equivalent",
        ),
        (
            {"authMethod": "oauth2-cc", "oauth_client_id": "c"},
            {},
            "authentication 'oauth2-cc' has no Vigil equivalent",
        ),
        ({"proxyId": 2}, {}, "its HTTP proxy is not carried over"),
    ],
)
def test_what_an_http_monitor_carries(
    tmp_path: Path, fields: dict[str, Any], carried: dict[str, Any], noted: str | None
):
    path = tmp_path / "backup.json"
    path.write_text(
        json.dumps(
            {"version": "1.23.16", "notificationList": [], "monitorList": [_monitor(**fields)]}
        )
    )
    result = kuma.convert(path, inline_secrets=True)
    [test] = result.monitors[0]["tests"]
    assert {k: test[k] for k in ("basic_auth",) if k in test} == carried
    notes = "\n".join(result.skipped)
    assert (noted in notes) if noted else ("monitor 'M'" not in notes), notes


def test_a_push_monitor_says_its_job_needs_the_new_url():
    notes = "\n".join(kuma.convert(BACKUP).skipped)
    assert "monitor 'Nightly backup': Kuma's push URL is not carried over" in notes


def test_smtp_recipients_include_cc_and_bcc(tmp_path: Path):
    config = {
        "name": "Mail",
        "type": "smtp",
        "smtpHost": "smtp.example.com",
        "smtpPort": 465,
        "smtpSecure": True,
        "smtpUsername": "kuma",
        "smtpPassword": "pw",
        "smtpFrom": "kuma@example.com",
        "smtpTo": "ops@example.com, lead@example.com",
        "smtpCC": "cc@example.com",
        "smtpBCC": "",
    }
    path = tmp_path / "backup.json"
    path.write_text(
        json.dumps(
            {
                "version": "1.23.16",
                "monitorList": [],
                "notificationList": [
                    {
                        "id": 1,
                        "name": "Mail",
                        "active": True,
                        "userId": 1,
                        "isDefault": False,
                        "config": json.dumps(config),
                    }
                ],
            }
        )
    )
    [mail] = kuma.convert(path, inline_secrets=True).channels
    assert mail["kind"] == "email" and mail["config"] == {
        "host": "smtp.example.com",
        "port": 465,
        "username": "kuma",
        "password": "pw",
        "from": "kuma@example.com",
        "security": "tls",
        "to": ["ops@example.com", "lead@example.com", "cc@example.com"],
    }
