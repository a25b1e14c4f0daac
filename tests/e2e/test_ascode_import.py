"""Importers on real files: an Uptime Kuma backup and a Gatus config (tests/data), imported,
applied to the stack's real API, and their monitors checked for real by the stack."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.dnspeer import dns_server_thread
from tests.e2e.ascode_helpers import Account, http_target, new_account, vigil
from tests.helpers import wait_sync

pytestmark = pytest.mark.e2e

DATA = Path(__file__).parent.parent / "data"
SECRETS = {
    "VIGIL_SECRET_TEAM_SLACK_URL": "https://hooks.slack.com/services/T000/B000/XXXXXXXX",
    "VIGIL_SECRET_OPS_TELEGRAM_TOKEN": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
    "VIGIL_SECRET_SLACK_URL": "https://hooks.slack.com/services/T000/B000/XXXXXXXX",
    "VIGIL_SECRET_PAGERDUTY_ROUTING_KEY": "0123456789abcdef0123456789abcdef",
    "VIGIL_SECRET_OPS_WEBHOOK_URL": "https://hooks.example.com/kuma",
    "VIGIL_SECRET_OPS_WEBHOOK_SECRET": "an-hmac-key-of-32-characters-abc",
}
# Kuma's status page (its backup has none), with the monitors each group shows once imported.
KUMA_PAGE = "uptime-kuma-status-page.json"
KUMA_GROUPS = [
    ("Site", "Website"),
    ("Site keyword", "Website"),
    ("Status JSON", "Website"),
    ("Web port", "Infrastructure"),
    ("Resolver", "Infrastructure"),
]


def _localised(source: str, tmp_path: Path, http_port: int, dns_port: int, slug: str = "") -> Path:
    text = (
        (DATA / source)
        .read_text()
        .replace("18765", str(http_port))
        .replace("18753", str(dns_port))
        .replace('"slug":"acme"', f'"slug":"{slug}"')
    )
    path = tmp_path / source
    path.write_text(text)
    return path


def _up(account: Account, names: set[str]) -> dict[str, str]:
    states = {
        m["name"]: (m["tests"][0]["state"] or {}).get("status") for m in account.get("/monitors")
    }
    return states if all(states.get(n) == "up" for n in names) else {}


def _pages(account: Account, slug: str) -> list[tuple[str, str]]:
    [page] = [p for p in account.get("/status-pages") if p["slug"] == slug]
    assert page["groups"] == ["Website", "Infrastructure"], page
    return [(m["name"], m["group"]) for m in account.get(f"/status-pages/{page['id']}/monitors")]


@pytest.mark.parametrize(
    ("peer", "source", "checked", "skipped"),
    [
        (
            "uptime-kuma",
            "uptime-kuma-backup.json",
            {"Site", "Site keyword", "Status JSON", "Web port", "Resolver"},
            [
                "type 'docker' skipped",
                "type 'gotify' has no Vigil channel",
                "upside-down",
                "status page 'SLUG': monitor 'Redis container' (id 9) was not imported",
            ],
        ),
        (
            "gatus",
            "gatus-config.yaml",
            {"website", "homepage", "web-port", "resolver"},
            [
                "'ssh://127.0.0.1:22' has no Vigil check kind",
                "'len([BODY]) > 0': not understood",
                "alerting 'ntfy'",
            ],
        ),
    ],
)
def test_import_apply_and_check_for_real(
    stack, tmp_path: Path, peer: str, source: str, checked: set[str], skipped: list[str]
):
    account = new_account(stack.api_url)
    zone = {("example.com.", "A"): ["192.0.2.7"]}
    slug = f"kuma-{uuid.uuid4().hex[:12]}"  # slugs are unique across the deployment
    with http_target() as target, dns_server_thread(zone) as dns_port:
        http_port = int(target.rsplit(":", 1)[1])
        path = _localised(source, tmp_path, http_port, dns_port)
        out = tmp_path / "imported.yaml"
        pages = (
            []
            if peer != "uptime-kuma"
            else ["--status-page", str(_localised(KUMA_PAGE, tmp_path, http_port, dns_port, slug))]
        )
        imported = vigil(account, "import", peer, str(path), *pages, "-o", str(out))
        assert imported.returncode == 0, imported.stderr
        for reason in skipped:
            assert reason.replace("SLUG", slug) in imported.stderr, imported.stderr
        applied = vigil(account, "apply", "-f", str(out), env=SECRETS)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        again = vigil(account, "apply", "-f", str(out), env=SECRETS)
        assert "No changes" in again.stdout, again.stdout
        if pages:
            assert _pages(account, slug) == KUMA_GROUPS
        states = wait_sync(lambda: _up(account, checked), f"{sorted(checked)} to be up", timeout=90)
    assert checked <= set(states)
