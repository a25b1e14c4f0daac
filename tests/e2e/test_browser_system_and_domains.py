"""In a real Chromium against the running stack: the operator's system page (the real
GET /api/v1/system and /nodes) and a status page served at the root of its custom domain
(Chromium resolves the made-up name to the frontend)."""

from __future__ import annotations

import time
from contextlib import closing
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, browser_page
from tests.e2e.conftest import OPERATOR_EMAIL, Stack
from tests.e2e.test_browser_incident_and_channel import _api, _log_in
from tests.e2e.test_browser_monitor_pages import shoot
from tests.helpers import short_name

pytestmark = pytest.mark.e2e
DOMAIN = "status.acme.test"


def _wait_for_the_fleet(operator: httpx.Client) -> None:
    """The page shows the regions whose executors have beaten: a first test of a session may
    come before the stack's executor has."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while not any(r["region"] == "local" for r in operator.get("/nodes").json()["regions"]):
        assert time.monotonic() < deadline, "the stack's executor never reported"
        time.sleep(0.2)


def test_the_system_page_is_for_operators(stack: Stack) -> None:
    with closing(_api(stack, OPERATOR_EMAIL)) as operator:
        _wait_for_the_fleet(operator)
    someone = f"{short_name('user')}@example.com"
    _api(stack, someone).close()
    with browser_page(locale="en-GB") as page:
        _log_in(page, stack, someone)
        expect(page.get_by_role("contentinfo").get_by_role("link")).to_have_count(0)
        answer = page.goto(f"{stack.frontend_url}/system?lang=de")
        assert answer is not None and answer.status == 403
        expect(page.get_by_role("main")).to_contain_text("Betreiber")

    with browser_page(locale="en-GB") as page:
        _log_in(page, stack, OPERATOR_EMAIL)
        page.get_by_role("link", name="System (operators)").click()
        main = page.get_by_role("main")
        expect(main.get_by_role("heading", name="This cell:")).to_be_visible(timeout=WAIT_MS)
        expect(main).to_contain_text("Results stored")
        queues = page.get_by_role("region", name="Queues")
        # The broker's management API answers here; where it cannot, the page says why.
        expect(queues.locator("table, .alert")).to_be_visible()
        expect(page.get_by_role("region", name="Region local")).to_be_visible()
        shoot(page, "system")
    stack.assert_running()


def test_a_status_page_at_its_custom_domain(stack: Stack) -> None:
    email = f"{short_name('dom')}@example.com"
    api = _api(stack, email)
    slug = short_name("dom").replace("_", "-").lower()
    created = api.post("/status-pages", json={"slug": slug, "title": "ACME status", "groups": []})
    assert created.status_code == 201, created.text
    with browser_page(locale="en-GB") as page:  # the domain is set and proven with the form
        _log_in(page, stack, email)
        page.goto(f"{stack.frontend_url}/status-pages/{created.json()['id']}")
        page.get_by_label("Custom domain").fill("Status.ACME.test")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status")).to_contain_text("Changes saved.", timeout=WAIT_MS)
        record = page.locator("table.dns-record code")
        expect(record.first).to_have_text(f"_vigil-challenge.{DOMAIN}")
        page.get_by_role("button", name="Verify").click()  # no record yet: refused, said why
        expect(page.get_by_role("status")).to_contain_text("NXDOMAIN", timeout=WAIT_MS)
        stack.dns_zone[(f"_vigil-challenge.{DOMAIN}.", "TXT")] = [f'"{record.nth(2).inner_text()}"']
        page.get_by_role("button", name="Verify").click()
        expect(page.get_by_role("status")).to_contain_text(f"{DOMAIN} is verified", timeout=WAIT_MS)
    shown = api.get(f"/status-pages/{created.json()['id']}").json()
    assert (shown["custom_domain"], shown["domain_verification"]["status"]) == (DOMAIN, "verified")

    port = urlsplit(stack.frontend_url).port
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {DOMAIN} 127.0.0.1"],
        )
        try:
            page = browser.new_context(locale="nl-NL").new_page()
            page.goto(f"http://{DOMAIN}:{port}/")
            expect(page.get_by_role("heading", level=1)).to_contain_text(
                "Alle systemen werken", timeout=WAIT_MS
            )
            expect(page.locator("header")).to_contain_text("ACME status")
            expect(page.locator('link[rel="stylesheet"]')).to_have_attribute(
                "href", "/static/style.css"
            )
            assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # CSS came
            page.goto(f"http://{DOMAIN}:{port}/login")  # only / is the page
            expect(page.locator('input[name="email"]')).to_be_visible()
        finally:
            browser.close()
    with browser_page(locale="en-GB") as page:  # the frontend's own address: as ever
        page.goto(stack.frontend_url + "/")
        expect(page).to_have_url(f"{stack.frontend_url}/login")
    api.close()
    stack.assert_running()
