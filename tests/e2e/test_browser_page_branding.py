"""A status page's branding in Chromium, through the real stack: the owner's settings form
refuses a bad colour beside its field, takes an accent colour, a footer link and a favicon,
and the public page shows them (the computed accent, the link) with no CSP violation and
no axe-core violation."""

from __future__ import annotations

import uuid

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser import WAIT_MS, browser_page
from tests.e2e.conftest import Stack
from tests.e2e.test_browser_incident_and_channel import _api, _log_in
from tests.e2e.test_browser_monitor_pages import shoot

pytestmark = pytest.mark.e2e

ACCENT = "#8b1a1a"  # dark enough to be read as is: links show it unchanged
FAVICON = "https://localhost:1/favicon.png"  # never fetched from anywhere but loopback


def test_the_owner_brands_the_page_and_visitors_see_it(stack: Stack) -> None:
    owner = f"brand-{uuid.uuid4().hex[:8]}@example.com"
    client = _api(stack, owner)
    try:
        slug = f"brand-{uuid.uuid4().hex[:8]}"
        page = client.post("/status-pages", json={"slug": slug, "title": "Acme status"})
        assert page.status_code == 201, page.text
        page_id = page.json()["id"]
    finally:
        client.close()

    with browser_page() as tab:
        _log_in(tab, stack, owner)
        tab.goto(f"{stack.frontend_url}/status-pages/{page_id}")
        tab.get_by_label("Accent colour").fill("red;}")
        tab.get_by_role("button", name="Save", exact=True).click()
        expect(tab.locator("#accent_color-errors")).to_contain_text(
            "six hex digits", timeout=WAIT_MS
        )
        tab.get_by_label("Accent colour").fill(ACCENT.upper())
        tab.get_by_label("Footer links").fill("Support desk https://acme.example/help")
        tab.get_by_label("Favicon URL").fill(FAVICON)
        tab.get_by_role("button", name="Save", exact=True).click()
        expect(tab.get_by_text("Changes saved.")).to_be_visible(timeout=WAIT_MS)

    with browser_page() as tab:
        violations: list[str] = []
        tab.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        answer = tab.goto(f"{stack.frontend_url}/s/{slug}")
        assert answer is not None and answer.status == 200
        link = tab.get_by_role("navigation", name="Links").get_by_role("link", name="Support desk")
        expect(link).to_have_attribute("href", "https://acme.example/help")
        expect(link).to_have_css("color", "rgb(139, 26, 26)")
        expect(tab.locator("header.site-header")).to_have_css(
            "border-bottom-color", "rgb(139, 26, 26)"
        )
        assert tab.locator('link[rel="icon"]').get_attribute("href") == FAVICON
        assert violations == []
        results = Axe().run(tab)
        assert results.violations_count == 0, results.generate_report()
        shoot(tab, "status-page-branded")
