"""`vigil apply` and `vigil export` against the stack's real API: one of everything, the
round trip, one edit, prune, and files refused before anything changes."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
import yaml

from tests.e2e.ascode_helpers import Account, http_target, new_account, vigil, write

pytestmark = pytest.mark.e2e

HOOK_SECRET = "a-webhook-secret-of-length"


BRAND_LINKS = [{"label": "Support", "url": "https://acme.example/support"}]


def everything(target: str, name: str = "Web") -> str:
    return f"""\
version: 1
monitors:
  - key: web
    name: {name}
    tests:
      - kind: http
        url: {target}/health
        interval_s: 30
        timeout_s: 5
        expected_status: [200]
        json_path: $.status
        json_expected: UP
        alert_rule: {{retries: 2, regions: 1}}
  - key: beat
    name: Nightly job
    tests:
      - kind: heartbeat
        interval_s: 3600
        grace_s: 600
channels:
  - key: hook
    name: Ops hook
    kind: webhook
    config:
      url: {{env: ASCODE_HOOK_URL}}
      secret: {{file: SECRET_FILE}}
    monitors: [web]
status_pages:
  - key: public
    slug: SLUG
    title: Public status
    groups: [Site]
    history_days: 365
    sla_target: 99.5
    accent_color: "#0B6BCB"
    footer_links: [{{label: Support, url: "https://acme.example/support"}}]
    favicon_url: https://acme.example/favicon.png
    monitors:
      - {{monitor: web, group: Site, sla_target: 99.95}}
maintenance:
  - key: upgrade
    title: Database upgrade
    starts_at: "2030-01-01T02:00:00+00:00"
    ends_at: "2030-01-01T03:00:00+00:00"
    monitor: web
"""


@pytest.fixture
def setup(stack, tmp_path: Path):
    account = new_account(stack.api_url)
    secret = write(tmp_path / "hook-secret", HOOK_SECRET + "\n")
    env = {"ASCODE_HOOK_URL": "https://hooks.example.com/vigil"}
    slug = "ascode-" + tmp_path.name[-12:].lower().replace("_", "-")

    def file(text: str, name: str = "vigil.yaml") -> Path:
        return write(
            tmp_path / name, text.replace("SECRET_FILE", str(secret)).replace("SLUG", slug)
        )

    with http_target() as target:
        yield account, env, file, target


def _apply(account: Account, env: dict[str, str], *args: str):
    return vigil(account, "apply", *args, env=env)


def test_apply_one_of_everything_then_round_trip_edit_and_prune(setup, tmp_path: Path):
    account, env, file, target = setup
    path = file(everything(target))
    first = _apply(account, env, "-f", str(path))
    assert first.returncode == 0, first.stderr + first.stdout
    assert "Plan: 5 to create" in first.stdout, first.stdout
    monitors = {m["name"]: m for m in account.get("/monitors")}
    assert set(monitors) == {"Web", "Nightly job"}
    assert monitors["Web"]["tests"][0]["alert_rule"]["retries"] == 2
    [channel] = account.get("/notification-channels")
    assert [m["name"] for m in account.get(f"/notification-channels/{channel['id']}/monitors")] == [
        "Web"
    ]
    [page] = account.get("/status-pages")
    assert [
        (m["name"], m["group"], m["sla_target"])
        for m in account.get(f"/status-pages/{page['id']}/monitors")
    ] == [("Web", "Site", 99.95)]
    assert (page["history_days"], page["sla_target"]) == (365, 99.5)
    assert (page["accent_color"], page["footer_links"], page["favicon_url"]) == (
        "#0b6bcb",
        BRAND_LINKS,
        "https://acme.example/favicon.png",
    )
    assert [w["title"] for w in account.get("/maintenance-windows")] == ["Database upgrade"]
    assert len(account.get("/managed")) == 5

    again = _apply(account, env, "-f", str(path))
    assert again.returncode == 0 and "No changes" in again.stdout, again.stdout

    exported = vigil(account, "export", "-o", str(tmp_path / "export.yaml"))
    assert exported.returncode == 0, exported.stderr
    [written] = yaml.safe_load((tmp_path / "export.yaml").read_text())["status_pages"]
    assert (written["history_days"], written["sla_target"]) == (365, 99.5)
    assert (written["accent_color"], written["footer_links"], written["favicon_url"]) == (
        "#0b6bcb",
        BRAND_LINKS,
        "https://acme.example/favicon.png",
    )
    assert written["monitors"] == [
        {"monitor": "web", "group": "Site", "position": 0, "sla_target": 99.95}
    ]
    export_env = {
        **env,
        "VIGIL_SECRET_HOOK_CONFIG_URL": "unused",
        "VIGIL_SECRET_HOOK_CONFIG_SECRET": "unused",
    }
    round_trip = _apply(account, export_env, "-f", str(tmp_path / "export.yaml"))
    assert round_trip.returncode == 0 and "No changes" in round_trip.stdout, (
        round_trip.stdout + round_trip.stderr
    )

    edited = file(everything(target, name="Web site"))
    plan = _apply(account, env, "-f", str(edited), "--dry-run")
    assert "~ update monitor web" in plan.stdout and "Plan: 1 to update" in plan.stdout, plan.stdout
    assert 'name: "Web" -> "Web site"' in plan.stdout
    assert "Web" in {m["name"] for m in account.get("/monitors")}  # dry run: unchanged
    done = _apply(account, env, "-f", str(edited))
    assert done.returncode == 0 and "Applied 1 of 1" in done.stdout, done.stdout
    assert "Web site" in {m["name"] for m in account.get("/monitors")}

    _ui_monitor(account, target)
    text = everything(target, name="Web site")
    without_window = file(text[: text.index("maintenance:")])
    pruned = _apply(account, env, "-f", str(without_window), "--prune")
    assert pruned.returncode == 0 and "Plan: 1 to delete" in pruned.stdout, pruned.stdout
    assert account.get("/maintenance-windows") == []
    assert "Made in the UI" in {m["name"] for m in account.get("/monitors")}


def _ui_monitor(account: Account, target: str) -> None:
    import httpx

    made = httpx.post(
        f"{account.api_url}/api/v1/monitors",
        headers=account.headers,
        json={
            "name": "Made in the UI",
            "tests": [{"kind": "http", "url": target, "interval_s": 60}],
        },
        timeout=30,
    )
    assert made.status_code == 201, made.text


BAD_FILES = {
    "parse": ("monitors:\n  - key: a\n    name: [unclosed\n", ":4:1"),
    "duplicate key": ("monitors:\n  - key: a\n    key: b\n", "vigil.yaml:3:5: duplicate key"),
    "unknown field": (
        "monitors:\n  - key: a\n    name: A\n    colour: red\n"
        "    tests: [{kind: tcp, url: 'tcp://example.com:80'}]\n",
        "'colour' was unexpected",
    ),
    "inline secret": (
        "channels:\n  - key: c\n    name: C\n    kind: slack\n"
        "    config: {url: 'https://hooks.slack.com/services/x'}\n",
        "channel 'c' field config.url: a secret in clear",
    ),
    "missing reference": (
        "channels:\n  - key: c\n    name: C\n    kind: slack\n"
        "    config: {url: {env: HOME}}\n    monitors: [nope]\n",
        "no monitor with key 'nope'",
    ),
    "field the API refuses": (
        "monitors:\n  - key: ok\n    name: OK\n"
        "    tests: [{kind: tcp, url: 'tcp://example.com:80'}]\n"
        "  - key: bad\n    name: Bad\n"
        "    tests: [{kind: http, url: 'https://example.com', "
        "expected_status: [700]}]\n",
        "vigil.yaml:7:71: monitor 'bad' field expected_status",
    ),
    # Asked of the API before anything changes (POST .../validate): rules only it runs.
    "channel settings the API refuses": (
        "monitors:\n  - key: ok\n    name: OK\n"
        "    tests: [{kind: tcp, url: 'tcp://example.com:80'}]\n"
        "channels:\n  - key: t\n    name: T\n    kind: telegram\n"
        "    config: {token: {env: ASCODE_HOOK_URL}, chat_id: 'not a chat'}\n",
        "vigil.yaml:9:54: channel 't' field config.chat_id: String should match pattern",
    ),
    "hook channel of a user": (
        "monitors:\n  - key: ok\n    name: OK\n"
        "    tests: [{kind: tcp, url: 'tcp://example.com:80'}]\n"
        "channels:\n  - {key: h, name: H, kind: hook, config: {name: notify-ops}}\n",
        "channel 'h': the API refuses it: hook channels are for operators",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_refused_file_changes_nothing(setup, case: str):
    account, env, file, _target = setup
    text, message = BAD_FILES[case]
    result = _apply(account, env, "-f", str(file(text)))
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr, result.stderr
    assert account.get("/monitors") == [] and account.get("/notification-channels") == []


def test_a_file_of_10_mb_is_refused_unread(setup, tmp_path: Path):
    account, env, _file, _target = setup
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * (10 * 1024 * 1024) + "\n")
    result = _apply(account, env, "-f", str(big))
    assert result.returncode == 2 and "over the limit" in result.stderr, result.stderr
    assert account.get("/monitors") == []


def test_a_refusal_only_the_api_knows_stops_with_a_report_and_a_rerun_converges(setup):
    account, env, file, target = setup
    monitor = f"monitors:\n  - key: a\n    name: A\n    tests: [{{kind: http, url: '{target}'}}]\n"
    # A slug another account holds: known only when the page is created (slugs are
    # unique across the deployment), so no check in advance can see it.
    other = new_account(account.api_url)
    taken = f"taken-{uuid.uuid4().hex[:12]}"
    held = httpx.post(
        f"{other.api_url}/api/v1/status-pages",
        headers=other.headers,
        json={"slug": taken, "title": "Theirs"},
        timeout=30,
    )
    assert held.status_code == 201, held.text
    page = f"status_pages:\n  - {{key: p, slug: {taken}, title: P}}\n"
    refused = _apply(account, env, "-f", str(file(monitor + page)))
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "applied: create monitor a" in refused.stdout
    assert "FAILED: create" in refused.stdout and "status_page 'p'" in refused.stdout
    assert "1 of 2 changes were applied" in refused.stdout
    fixed = file(monitor)
    assert "No changes" in _apply(account, env, "-f", str(fixed)).stdout
    assert [m["name"] for m in account.get("/monitors")] == ["A"]


PAGE_FILE = """\
monitors:
  - key: web
    name: Web
    tests: [{{kind: http, url: '{target}'}}]
status_pages:
  - key: public
    slug: SLUG
    title: Public status
{extra}    monitors: [{{monitor: web{entry}}}]
"""


@pytest.mark.parametrize(
    ("extra", "entry", "message"),
    [
        (
            "    history_days: 45\n",
            "",
            "status_pages.0.history_days: 45 is not one of [30, 90, 365]",
        ),
        (
            "    sla_target: 101\n",
            "",
            "status_pages.0.sla_target: 101 is greater than or equal to the maximum of 100",
        ),
        ("    sla_target: abc\n", "", "status_pages.0.sla_target: 'abc' is not of type 'number'"),
        ("", ", sla_target: 0", "status_pages.0.monitors.0.sla_target: 0 is less than or equal to"),
    ],
)
def test_a_pages_garbage_history_or_sla_target_is_refused_and_changes_nothing(
    setup, extra: str, entry: str, message: str
):
    account, env, file, target = setup
    good = _apply(
        account,
        env,
        "-f",
        str(
            file(
                PAGE_FILE.format(
                    target=target,
                    extra="    history_days: 30\n    sla_target: 99.9\n",
                    entry=", sla_target: 99.0",
                )
            )
        ),
    )
    assert good.returncode == 0, good.stdout + good.stderr
    [before] = account.get("/status-pages")
    links = account.get(f"/status-pages/{before['id']}/monitors")
    assert (before["history_days"], before["sla_target"], links[0]["sla_target"]) == (
        30,
        99.9,
        99.0,
    )

    bad = _apply(
        account,
        env,
        "-f",
        str(
            file(
                PAGE_FILE.format(target=target, extra=extra, entry=entry).replace(
                    "name: Web", "name: Renamed"
                )
            )
        ),
    )
    assert bad.returncode == 2, bad.stdout + bad.stderr
    assert message in bad.stderr, bad.stderr
    assert account.get("/status-pages") == [before]
    assert account.get(f"/status-pages/{before['id']}/monitors") == links
    assert [m["name"] for m in account.get("/monitors")] == ["Web"]  # nothing else either
