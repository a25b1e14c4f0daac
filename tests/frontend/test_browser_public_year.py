"""A year of bars, the figures per period and the SLA verdicts in a real Chromium: visible,
free of axe-core violations, and within a phone's width."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser import WAIT_MS
from tests.frontend.fake_api import FakeApi
from tests.frontend.test_browser import frontend_url, page  # noqa: F401 - fixtures
from tests.frontend.test_public_year import year_page

pytestmark = pytest.mark.e2e


def test_a_year_page_reads_well(
    page: Page,  # noqa: F811 - the fixtures imported above
    frontend_url: str,  # noqa: F811
    fake_api: FakeApi,
) -> None:
    fake_api.public_pages["acme"] = year_page()
    page.goto(frontend_url + "/s/acme")
    expect(page.get_by_text("SLA 98.5\u00a0%: met, 98.611% over 365 days")).to_be_visible(
        timeout=WAIT_MS
    )
    expect(page.get_by_text("SLA 99.99\u00a0%: missed, 99.973% over 365 days")).to_be_visible()
    expect(page.locator("svg.bars").first.locator("rect")).to_have_count(365)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    page.set_viewport_size({"width": 375, "height": 800})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than a phone screen"
