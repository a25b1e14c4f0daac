"""A user in Chromium pages, searches, filters and acts in bulk on 10,000 monitors, and the
live refresh finds nothing new with a 304. The monitors are seeded in bulk with SQL."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import asyncpg
import httpx
import pytest
from playwright.sync_api import expect

from benchmark.dashboard import PASSWORD, ROOT, Server, running, seed_account
from tests.browser import WAIT_MS, browser_page
from tests.e2e.test_browser_monitor_pages import shoot
from tests.helpers import short_name

pytestmark = pytest.mark.e2e
N = 10_000


async def _seed(database_url: str, email: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        account = await conn.fetchval("SELECT id FROM accounts WHERE email = $1", email)
        await seed_account(conn, account, N)
        await conn.execute("ANALYZE monitors; ANALYZE tests; ANALYZE test_state")
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def scaled(database_url: str) -> Iterator[tuple[Server, str]]:
    """The API and frontend of this tree, and an account with 10,000 monitors."""
    email = f"{short_name('scale')}@example.com"
    with running(ROOT, database_url) as server:
        signed = httpx.post(
            f"{server.api}/api/v1/auth/signup",
            json={"email": email, "password": PASSWORD},
            timeout=30,
        )
        assert signed.status_code in (201, 202), signed.text
        asyncio.run(_seed(database_url, email))
        yield server, email


def test_page_search_filter_and_pause_10000_monitors(scaled: tuple[Server, str]) -> None:
    server, email = scaled
    with browser_page() as page:
        page.goto(server.frontend + "/login")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()

        counts = page.locator("ul.counts")
        expect(counts).to_contain_text("All 10000", timeout=WAIT_MS)
        down = int(page.locator('[data-count="down"] strong').inner_text())
        assert down in (N // 97, N // 97 + 1)  # one test id in 97 is down
        rows = page.locator("table.monitors tbody tr")
        expect(rows).to_have_count(50)
        # Down first: the whole first page is red.
        expect(page.locator('table.monitors [data-status="down"]')).to_have_count(50)
        shoot(page, "dashboard")

        # Through the pages by the API's cursor: 50 new rows each, none seen before.
        seen = set(rows.evaluate_all("rs => rs.map(r => r.dataset.monitorId)"))
        for _ in range(3):
            page.get_by_role("link", name="Next page").click()
            expect(rows).to_have_count(50)
            ids = set(rows.evaluate_all("rs => rs.map(r => r.dataset.monitorId)"))
            assert not ids & seen
            seen |= ids
        assert len(seen) == 200

        page.get_by_role("link", name="First page").click()
        page.get_by_label("Search").fill("service 04242")
        page.get_by_role("button", name="Apply", exact=True).click()
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Service 04242")
        expect(counts).to_contain_text("All 1")

        # A tag and a status: team-7 has 500 monitors, a few of them down.
        page.goto(server.frontend + "/dashboard?tag=team-7&status=up&sort=name")
        expect(page.locator("table.monitors [data-status]:not([data-status=up])")).to_have_count(0)
        first_up = rows.first.get_attribute("data-monitor-id")

        # Pause two ticked monitors; the choice survives the live refresh meanwhile.
        rows.nth(0).get_by_role("checkbox").check()
        rows.nth(1).get_by_role("checkbox").check()
        box = page.locator("#monitors")
        expect(box).to_have_attribute("data-unchanged", re.compile(r"[1-9]"), timeout=20_000)
        expect(rows.nth(0).get_by_role("checkbox")).to_be_checked()
        page.get_by_label("With the selected monitors").select_option("pause")
        page.get_by_role("button", name="Apply to selected").click()
        expect(page.get_by_text("2 monitors paused.")).to_be_visible(timeout=WAIT_MS)
        expect(page.locator(f'tr[data-monitor-id="{first_up}"]')).to_contain_text("Paused")


def test_garbage_filters_are_named_not_crashed(scaled: tuple[Server, str]) -> None:
    server, email = scaled
    with browser_page() as page:
        page.goto(server.frontend + "/login")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("ul.counts")).to_be_visible(timeout=WAIT_MS)
        for query, field in (
            ("region=NOT%20A%20REGION", "region"),
            ("cursor=%21%21", "cursor"),
            ("q=" + "x" * 201, "q"),
        ):
            page.goto(f"{server.frontend}/dashboard?{query}")
            expect(page.get_by_role("alert")).to_contain_text(f"not valid: {field}.")
            expect(page.locator("table.monitors")).to_have_count(0)
