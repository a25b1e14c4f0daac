"""The public status page and its subscribe flow in Chromium, through the real stack: no
axe-core violation on any of them, and the page's updates can be paused (no meta-refresh)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser import WAIT_MS, browser_page
from tests.e2e.conftest import Stack
from tests.e2e.test_browser_incident_and_channel import _api

pytestmark = pytest.mark.e2e


def _no_violations(tab: Page, where: str) -> None:
    results = Axe().run(tab)
    assert results.violations_count == 0, f"{where}:\n{results.generate_report()}"


def _page(client: httpx.Client) -> str:
    """A page of one monitor (its target refuses connections); its slug."""
    monitor = client.post(
        "/monitors",
        json={
            "name": "Checkout",
            "tests": [
                {"kind": "http", "url": "http://127.0.0.1:9/", "interval_s": 60, "timeout_s": 0.5}
            ],
        },
    )
    assert monitor.status_code == 201, monitor.text
    slug = f"a11y-{uuid.uuid4().hex[:8]}"
    page = client.post(
        "/status-pages",
        json={"slug": slug, "title": "Shop status", "language": "en", "groups": ["Web"]},
    ).json()
    assert (
        client.post(
            f"/status-pages/{page['id']}/monitors",
            json={"monitor_id": monitor.json()["id"], "group": "Web"},
        ).status_code
        == 201
    )
    return slug


def test_public_pages_are_accessible_and_pausable(stack: Stack) -> None:
    client = _api(stack, f"owner-{uuid.uuid4().hex[:8]}@example.com")
    try:
        slug = _page(client)
    finally:
        client.close()
    with browser_page() as tab:
        tab.goto(f"{stack.frontend_url}/s/{slug}")
        assert tab.locator('meta[http-equiv="refresh"]').count() == 0
        pause = tab.get_by_role("button", name="Pause updates")
        expect(pause).to_have_attribute("aria-pressed", "false", timeout=WAIT_MS)
        _no_violations(tab, "the status page")
        pause.click()
        resume = tab.get_by_role("button", name="Resume updates")
        expect(resume).to_have_attribute("aria-pressed", "true")
        tab.reload()  # the choice holds for the visit
        expect(tab.get_by_role("button", name="Resume updates")).to_be_visible()
        tab.get_by_role("link", name="Subscribe to updates").click()
        _no_violations(tab, "the subscribe form")
        tab.get_by_label("Email").fill("not an address")
        tab.get_by_role("button", name="Subscribe").click()
        _no_violations(tab, "the subscribe form with an error")
        tab.get_by_label("Email").fill(f"visitor-{uuid.uuid4().hex[:8]}@example.com")
        tab.get_by_role("button", name="Subscribe").click()
        expect(tab.get_by_role("heading", name="Check your inbox")).to_be_visible(timeout=WAIT_MS)
        _no_violations(tab, "the subscribe confirmation")
