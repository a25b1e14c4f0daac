"""A user in a real Chromium watches a monitor of the running system go up and then down."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser import WAIT_MS, browser_page
from tests.e2e.conftest import Stack
from tests.helpers import short_name
from tests.targets import ThreadedServer, target_app

pytestmark = pytest.mark.e2e
CHECK_WAIT_MS = 60_000  # a check a second, batches every 0.2 s, a 5 s dashboard refresh


def test_dashboard_turns_red_without_a_reload_and_speaks_dutch(stack: Stack) -> None:
    email, password = f"{short_name('web')}@example.com", "correct horse battery"
    target = ThreadedServer(target_app()).start()
    with httpx.Client(base_url=f"{stack.api_url}/api/v1", timeout=10) as api:
        api.post("/auth/signup", json={"email": email, "password": password}).raise_for_status()
        token = api.post("/auth/login", json={"email": email, "password": password}).json()[
            "access_token"
        ]
        test = {"kind": "http", "url": f"{target.url}/ok", "interval_s": 1, "timeout_s": 0.5}
        monitor = api.post(
            "/monitors",
            json={"name": "Web shop", "tests": [test]},
            headers={"Authorization": f"Bearer {token}"},
        ).json()

    with browser_page(locale="nl-NL") as page:
        page.goto(stack.frontend_url + "/")
        expect(page.locator("html")).to_have_attribute("lang", "nl", timeout=WAIT_MS)
        page.get_by_label("E-mailadres").fill(email)
        page.get_by_label("Wachtwoord").fill(password)
        page.get_by_role("button", name="Inloggen").click()

        row = page.locator(f'tr[data-monitor-id="{monitor["id"]}"]')
        expect(row).to_contain_text("Web shop", timeout=WAIT_MS)
        expect(row.locator('[data-status="up"]')).to_contain_text("Online", timeout=CHECK_WAIT_MS)
        page.evaluate("window.sameDocument = true")
        target.stop()
        expect(row.locator('[data-status="down"]')).to_contain_text(
            "Onbereikbaar", timeout=CHECK_WAIT_MS
        )
        assert page.evaluate("window.sameDocument") is True, "the page was reloaded"

        page.get_by_role("link", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en", timeout=WAIT_MS)
        expect(row.locator('[data-status="down"]')).to_contain_text("Down")
    stack.assert_running()
