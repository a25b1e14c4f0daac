"""A user makes a heartbeat monitor in a real Chromium, pastes the page's crontab line into a
shell as cron would run it, and sees the ping arrive; the schedule reads in plain words, in
Dutch too."""

from __future__ import annotations

import re
import subprocess

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser import WAIT_MS, browser_page
from tests.e2e.conftest import Stack
from tests.e2e.test_browser_monitor_pages import shoot
from tests.helpers import short_name

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery"


def _log_in(page: Page, stack: Stack, email: str) -> None:
    page.goto(stack.frontend_url + "/login?lang=en")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_heartbeat_made_in_the_form_takes_the_pasted_crontab_line(stack: Stack) -> None:
    email = f"{short_name('beat')}@example.com"
    httpx.post(
        f"{stack.api_url}/api/v1/auth/signup",
        json={"email": email, "password": PASSWORD},
        timeout=10,
    ).raise_for_status()
    with browser_page() as page:
        _log_in(page, stack, email)
        page.goto(stack.frontend_url + "/monitors/new")
        page.get_by_label("Name", exact=True).fill("Nightly backup")
        page.get_by_label("Check kind").select_option("heartbeat")
        page.get_by_label("Interval (seconds)").fill("86400")
        page.get_by_label("Grace (seconds)").fill("3600")
        page.get_by_label("Cron schedule").fill("30 2 * * 1-5")
        page.get_by_label("Time zone of the schedule").fill("Europe/Amsterdam")
        page.get_by_role("button", name="Create monitor").click()

        card = page.locator("section.heartbeat")
        expect(card).to_contain_text("New", timeout=WAIT_MS)
        expect(card).to_contain_text(
            "At 02:30, Monday through Friday (Europe/Amsterdam), 1 hour of grace"
        )
        line = card.locator("pre.paste").first.inner_text()
        assert line.startswith("30 2 * * 1-5 ")  # at the test's own cron times
        command = line.split(" && ", 1)[1]  # what cron runs after the job succeeded
        assert re.fullmatch(
            r"curl -fsS -m 10 --retry 3 http://127\.0\.0\.1:\d+/ping/[\w-]+", command
        ), command
        ran = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=60)
        assert ran.returncode == 0 and ran.stdout == "OK", ran

        def pinged() -> bool:
            page.reload()
            return card.locator(".badge").inner_text() == "Up"

        for _ in range(60):  # the page shows what the API had when it was served: reload
            if pinged():
                break
            page.wait_for_timeout(500)
        expect(card.locator(".badge")).to_have_text("Up")
        expect(card.locator("table")).to_contain_text("127.0.0.1")
        expect(card.locator("table")).to_contain_text("curl/")
        card.scroll_into_view_if_needed()
        shoot(page, "heartbeat")  # no sideways scrolling on a phone either

        page.goto(page.url + "?lang=nl")
        expect(card).to_contain_text("maandag t/m vrijdag", timeout=WAIT_MS)
        expect(card).to_contain_text("Europe/Amsterdam")
    stack.assert_running()
