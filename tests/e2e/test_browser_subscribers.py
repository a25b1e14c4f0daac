"""A visitor subscribes to a status page in Chromium, confirms through the link the real
notifier mailed to an SMTP sink, hears of a real incident (processor and notifier, opened
and resolved) exactly once each, unsubscribes with the mail's one-click link, and hears
nothing more. The page's owner sees the subscriber and exports the list."""

from __future__ import annotations

import re
import uuid
from email.message import Message
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser import WAIT_MS, browser_page
from tests.e2e.conftest import Stack
from tests.e2e.test_browser_incident_and_channel import _api, _log_in
from tests.e2e.test_notifications import Switch, _outage
from tests.helpers import wait_sync

pytestmark = pytest.mark.e2e


def _mails_to(stack: Stack, address: str) -> list[Message]:
    assert stack.smtp is not None
    return [m for m in list(stack.smtp.messages) if address in str(m["To"])]


def _link(mail: Message, purpose: str) -> str:
    text = mail.get_body(("plain",)).get_content()
    return re.search(rf"https?://\S+/subscription/{purpose}\?token=\S+", text).group(0)


def test_subscribe_confirm_hear_each_event_once_and_unsubscribe(
    stack: Stack, stack_services: tuple[str, str, str]
) -> None:
    database_url = stack_services[0]
    site = Switch()
    owner = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    client = _api(stack, owner)
    monitor = client.post(
        "/monitors",
        json={
            "name": "Checkout",
            "tests": [
                {"kind": "http", "url": f"{site.server.url}/", "interval_s": 1, "timeout_s": 0.5}
            ],
        },
    )
    assert monitor.status_code == 201, monitor.text
    monitor_id, test_id = monitor.json()["id"], monitor.json()["tests"][0]["id"]
    slug = f"shop-{uuid.uuid4().hex[:8]}"
    page = client.post(
        "/status-pages",
        json={"slug": slug, "title": "Shop status", "language": "en", "groups": ["Web"]},
    ).json()
    assert (
        client.post(
            f"/status-pages/{page['id']}/monitors", json={"monitor_id": monitor_id, "group": "Web"}
        ).status_code
        == 201
    )
    address = f"visitor-{uuid.uuid4().hex[:8]}@example.com"

    with browser_page() as tab:
        tab.goto(f"{stack.frontend_url}/s/{slug}")
        tab.get_by_role("link", name="Subscribe to updates").click()
        tab.get_by_label("Email").fill(address)
        tab.get_by_role("button", name="Subscribe").click()
        expect(tab.get_by_role("heading", name="Check your inbox")).to_be_visible(timeout=WAIT_MS)
        [confirmation] = wait_sync(lambda: _mails_to(stack, address), "the confirmation")
        assert confirmation["Subject"] == "[Vigil] Confirm your subscription to Shop status"
        confirm = _link(confirmation, "confirm")
        for _ in range(2):  # following the link twice is harmless
            tab.goto(confirm)
            tab.get_by_role("button", name="Confirm").click()
            expect(tab.get_by_role("status")).to_have_text(
                "Your subscription is confirmed.", timeout=WAIT_MS
            )
        # The owner sees the subscriber in the frontend and exports the list.
        _log_in(tab, stack, owner)
        tab.goto(f"{stack.frontend_url}/status-pages/{page['id']}")
        tab.get_by_role("link", name="Subscribers").click()
        row = tab.get_by_role("row").filter(has_text=address)
        expect(row).to_contain_text("Confirmed", timeout=WAIT_MS)
        with tab.expect_download() as download:
            tab.get_by_role("link", name="Export as CSV").click()
        exported = Path(download.value.path()).read_text()
        assert exported.startswith("id,kind,address,confirmed") and address in exported

    wait_sync(
        lambda: client.get(f"/monitors/{monitor_id}").json()["status"] == "up",
        "the monitor to be up",
    )
    incident = _outage(site, database_url, test_id, 0)
    mails = wait_sync(
        lambda: (m := _mails_to(stack, address)) and len(m) >= 3 and m,
        "the opened and resolved mails",
    )
    kinds = [m["X-Vigil-Event"] for m in mails]
    assert kinds == ["subscribe_confirm", "opened", "resolved"], kinds
    opened = mails[1]
    assert opened["Subject"] == "[Vigil] Checkout is DOWN"
    assert f"/s/{slug}" in opened.get_body(("plain",)).get_content()
    assert site.server.url not in opened.as_string()  # the target stays private
    leave = opened["List-Unsubscribe"].strip()[1:-1]
    assert opened["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert leave == _link(opened, "unsubscribe") == _link(mails[2], "unsubscribe")
    # What a mail client does for a one-click unsubscribe (RFC 8058): a bare POST.
    answer = httpx.post(leave, data={"List-Unsubscribe": "One-Click"}, timeout=10)
    assert answer.status_code == 200, answer.text
    listed = client.get(f"/status-pages/{page['id']}/subscribers").json()["items"]
    assert listed == []

    second = _outage(site, database_url, test_id, 1)
    log = stack.logs / "notifier.log"
    wait_sync(
        lambda: any(
            "incident event fanned out" in line
            and f"incident={second}" in line
            and "kind=resolved" in line
            for line in log.read_text().splitlines()
        ),
        "the second incident's end to be handled",
    )
    assert len(_mails_to(stack, address)) == 3 and incident != second
    stack.assert_running()
    site.server.stop()
    client.close()
