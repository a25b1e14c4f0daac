"""In a real Chromium against the running stack: acknowledge a real incident with the
keyboard, link a monitor to a webhook channel, send it a test notification and see the
attempt the notifier made (the receiver checks every signature); plan maintenance in the
browser's time zone."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, browser_page
from tests.e2e.conftest import Stack
from tests.e2e.test_browser_monitor_pages import shoot
from tests.e2e.test_notifications import SECRET, Receiver, Switch
from tests.helpers import short_name, wait_sync

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery"


def _api(stack: Stack, email: str) -> httpx.Client:
    client = httpx.Client(base_url=f"{stack.api_url}/api/v1", timeout=10)
    assert client.post("/auth/signup", json={"email": email, "password": PASSWORD}).status_code in (
        201,
        202,
    )  # 201: the cell's first
    token = client.post("/auth/login", json={"email": email, "password": PASSWORD}).json()[
        "access_token"
    ]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def _log_in(page: Page, stack: Stack, email: str) -> None:
    page.goto(stack.frontend_url + "/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible(timeout=WAIT_MS)


def test_acknowledge_an_incident_and_test_a_channel(stack: Stack) -> None:
    email = f"{short_name('ack')}@example.com"
    receiver, site = Receiver(), Switch()
    api = _api(stack, email)
    monitor = api.post(
        "/monitors",
        json={
            "name": "Shop",
            "tests": [
                {"kind": "http", "url": f"{site.server.url}/", "interval_s": 1, "timeout_s": 0.5}
            ],
        },
    )
    assert monitor.status_code == 201, monitor.text
    monitor_id = monitor.json()["id"]
    channel = api.post(
        "/notification-channels",
        json={
            "name": "ops hook",
            "kind": "webhook",
            "config": {"url": f"{receiver.server.url}/hook", "secret": SECRET},
        },
    )
    assert channel.status_code == 201, channel.text
    channel_id = channel.json()["id"]
    site.healthy = False
    incident = wait_sync(
        lambda: (api.get("/incidents").json()["items"] or [None])[0], "an incident to open"
    )

    with browser_page(locale="en-GB") as page:
        _log_in(page, stack, email)
        page.goto(f"{stack.frontend_url}/incidents/{incident['id']}")
        button = page.get_by_role("button", name="Acknowledge")
        button.focus()  # reachable and pressed with the keyboard alone
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text(
            "Incident acknowledged.", timeout=WAIT_MS
        )
        expect(page.get_by_role("main")).to_contain_text(f"Acknowledged by {email}")
        expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
        shoot(page, "incident")
        acked = api.get(f"/incidents/{incident['id']}").json()
        assert acked["acknowledged_at"] is not None and acked["acknowledged_by"] is not None

        page.goto(f"{stack.frontend_url}/channels")
        page.get_by_role("link", name="ops hook").click()
        page.get_by_label("Monitor", exact=True).select_option(label="Shop")
        page.get_by_role("button", name="Link monitor").click()
        expect(page.get_by_role("link", name="Shop")).to_be_visible(timeout=WAIT_MS)

        page.get_by_role("button", name="Send test notification").click()
        expect(page.get_by_role("status")).to_contain_text("Test notification", timeout=WAIT_MS)
        wait_sync(lambda: ("test", None) in receiver.seen(), "the test webhook")
        page.reload()  # the flash may have come before the notifier: the list has it now
        row = page.locator("table.attempts tbody tr", has_text="Test notification")
        expect(row).to_contain_text("Sent", timeout=WAIT_MS)
        shoot(page, "channel")

        page.goto(f"{stack.frontend_url}/monitors/{monitor_id}")
        alerts = page.get_by_role("region", name="Alerts go to")
        expect(alerts.get_by_role("link", name="ops hook")).to_have_attribute(
            "href", f"/channels/{channel_id}"
        )
    assert receiver.bad_signatures == 0
    api.close()
    site.server.stop()
    receiver.server.stop()
    stack.assert_running()


def test_maintenance_in_the_browsers_time_zone(stack: Stack) -> None:
    """The browser's zone (reported by static/timezone.js) is the form's default; what the
    user types in it reaches the API in UTC and comes back shown in that zone."""
    email = f"{short_name('tz')}@example.com"
    api = _api(stack, email)
    monitor = api.post(
        "/monitors",
        json={
            "name": "Shop",
            "tests": [
                {"kind": "http", "url": "http://127.0.0.1:9/", "interval_s": 60, "timeout_s": 1}
            ],
        },
    )
    assert monitor.status_code == 201, monitor.text
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="en-GB", timezone_id="Asia/Tokyo")
            page = context.new_page()
            _log_in(page, stack, email)
            page.goto(f"{stack.frontend_url}/maintenance")
            page.reload()  # the first page set the cookie; this one is served in its zone
            expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
            page.get_by_label("Title").fill("Database upgrade")
            page.get_by_label("Starts").fill("2031-07-01T10:00")
            page.get_by_label("Ends").fill("2031-07-01T11:30")
            page.get_by_label("For").select_option(label="Shop")
            page.get_by_role("button", name="Plan").click()
            expect(page.get_by_role("status")).to_contain_text(
                "Maintenance window planned.", timeout=WAIT_MS
            )
            listed = page.get_by_role("region", name="Planned maintenance")
            expect(listed).to_contain_text(re.compile(r"10:00:00\W+AM Asia/Tokyo"))
            context.close()
        finally:
            browser.close()
    window = api.get("/maintenance-windows").json()["items"][0]
    assert window["starts_at"].startswith("2031-07-01T01:00:00")  # 10:00 in Tokyo, in UTC
    assert window["ends_at"].startswith("2031-07-01T02:30:00")
    api.close()
