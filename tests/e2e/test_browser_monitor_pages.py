"""In a real Chromium against the running stack: log in, create a monitor with the form, see
it go up, open its public status page in Dutch and German; and screenshots of the dashboard,
a monitor page (and its HTTP timings), the test form and a status page at desktop and phone
widths for docs/screenshots/."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from frontend.charts import BAR_COLOURS
from tests.browser import WAIT_MS, browser_page
from tests.e2e.conftest import Stack
from tests.e2e.history import seed
from tests.helpers import short_name
from tests.targets import ThreadedServer, target_app

pytestmark = pytest.mark.e2e
CHECK_WAIT_MS = 60_000
# The committed PNGs are refreshed on demand (VIGIL_SCREENSHOTS=1), so an ordinary test run
# leaves the work tree clean; otherwise they go to a throw-away folder.
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOTS = (
    DOCS
    if os.environ.get("VIGIL_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "vigil-screenshots"
)
WIDTHS = {"desktop": (1280, 860), "phone": (390, 844)}


def shoot(page: Page, name: str) -> None:
    """The page at both widths, as viewport-sized PNGs (small enough to commit)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than the {label} screen"
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"))
    page.set_viewport_size({"width": 1280, "height": 860})


def test_create_a_monitor_see_it_up_and_its_public_page(
    stack: Stack, stack_services: tuple[str, str, str]
) -> None:
    email, password = f"{short_name('ui')}@example.com", "correct horse battery"
    slug = short_name("page").replace("_", "-").lower()
    target = ThreadedServer(target_app()).start()
    with httpx.Client(base_url=f"{stack.api_url}/api/v1", timeout=10) as api:
        api.post("/auth/signup", json={"email": email, "password": password}).raise_for_status()

    with browser_page(locale="en-GB") as page:
        page.goto(stack.frontend_url + "/login")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name="New monitor").click()

        page.get_by_label("Name", exact=True).fill("Web shop")
        # About as slow as the seeded history, so the live end of the chart joins it.
        page.get_by_label("Target URL").fill(f"{target.url}/slow?s=0.14")
        page.get_by_label("Interval (seconds)").fill("0")
        page.get_by_role("button", name="Create monitor").click()
        expect(page.locator("#interval_s-errors")).to_be_visible(timeout=WAIT_MS)  # API's 422

        page.get_by_label("Interval (seconds)").fill("1")
        page.get_by_label("Timeout (seconds)").fill("0.5")
        page.get_by_role("button", name="Create monitor").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Web shop", timeout=WAIT_MS)
        monitor_url = page.url
        monitor_id = int(monitor_url.rstrip("/").rsplit("/", 1)[1])

        page.goto(stack.frontend_url + "/dashboard")
        row = page.locator(f'tr[data-monitor-id="{monitor_id}"]')
        expect(row.locator('[data-status="up"]')).to_contain_text("Up", timeout=CHECK_WAIT_MS)
        shoot(page, "dashboard-one")  # at 10,000 monitors: test_browser_dashboard_scale.py
        test = _monitor(stack, email, password, monitor_id)["tests"][0]
        seed(stack_services[0], test["id"], monitor_id, test["region"] or "local")
        page.goto(monitor_url)
        expect(page.locator(".badge-up").first).to_be_visible(timeout=WAIT_MS)
        chart = page.get_by_role("region", name="Response time").locator("svg")
        expect(chart).to_be_visible(timeout=WAIT_MS)  # the seeded day, drawn
        shoot(page, "monitor")
        # The live HTTP checks report how long each phase took.
        timings = page.get_by_role("region", name="Timing of recent HTTP checks")
        expect(timings).to_be_visible(timeout=WAIT_MS)
        timings.scroll_into_view_if_needed()
        shoot(page, "monitor-timings")

        # The test form: the chosen kind's fields, and the API's 422 beside the URL.
        page.get_by_role("link", name="Add a test").click()
        page.get_by_label("Check kind").select_option("tcp")
        page.get_by_label("Target URL").fill("tcp://db.example.com:99999")  # no such port
        page.get_by_role("button", name="Save").click()
        expect(page.locator('[id="url-errors"]')).to_be_visible(timeout=WAIT_MS)
        shoot(page, "test-form")

    token = _token(stack, email, password)
    with httpx.Client(
        base_url=f"{stack.api_url}/api/v1", timeout=10, headers={"Authorization": f"Bearer {token}"}
    ) as api:
        status_page = api.post(
            "/status-pages", json={"slug": slug, "title": "Web shop status", "groups": ["Shop"]}
        ).json()
        api.post(
            f"/status-pages/{status_page['id']}/monitors",
            json={"monitor_id": monitor_id, "group": "Shop"},
        ).raise_for_status()

    for locale, lang, words in (
        ("nl-NL", "nl", "Alle systemen werken"),
        ("de-DE", "de", "Alle Systeme funktionieren"),
    ):
        with browser_page(locale=locale) as page:
            page.goto(f"{stack.frontend_url}/s/{slug}")
            expect(page.locator("html")).to_have_attribute("lang", lang, timeout=WAIT_MS)
            expect(page.get_by_role("heading", level=1)).to_contain_text(words, timeout=WAIT_MS)
            expect(page.get_by_role("main")).to_contain_text("Web shop")
            # 90 days: today and 86 seeded green ones, two seeded outages, one slow day.
            bars = page.locator("svg.bars").first
            for status, days in (("up", 87), ("down", 2), ("degraded", 1)):
                expect(bars.locator(f'rect[fill="{BAR_COLOURS[status]}"]')).to_have_count(days)
            if lang == "nl":
                shoot(page, "status-page")
    target.stop()
    stack.assert_running()


def _monitor(stack: Stack, email: str, password: str, monitor_id: int) -> dict:
    with httpx.Client(base_url=f"{stack.api_url}/api/v1", timeout=10) as api:
        token = _token(stack, email, password)
        answer = api.get(f"/monitors/{monitor_id}", headers={"Authorization": f"Bearer {token}"})
        answer.raise_for_status()
        return dict(answer.json())


def _token(stack: Stack, email: str, password: str) -> str:
    with httpx.Client(base_url=f"{stack.api_url}/api/v1", timeout=10) as api:
        answer = api.post("/auth/login", json={"email": email, "password": password})
        answer.raise_for_status()
        return str(answer.json()["access_token"])
