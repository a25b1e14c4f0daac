"""A real Chromium against a served frontend and the fake API: what a user sees."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import ConsoleMessage, Page, expect
from werkzeug.serving import make_server

from tests.browser import WAIT_MS, browser_page
from tests.frontend.fake_api import DEMO_EMAIL, DEMO_PASSWORD, FakeApi, monitor


@pytest.fixture
def frontend_url(app: Flask) -> Iterator[str]:
    """The app served over real HTTP in a thread, as a browser needs it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="frontend", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def page() -> Iterator[Page]:
    with browser_page() as page:
        yield page


@pytest.mark.e2e
def test_log_in_watch_the_table_refresh_and_switch_to_dutch(
    page: Page, frontend_url: str, fake_api: FakeApi
) -> None:
    fake_api.monitors = [
        monitor("Shop", "up", monitor_id="m-shop", latency_ms=87.0),
        monitor("Blog", "down", monitor_id="m-blog", error="connection refused"),
    ]
    problems: list[str] = []
    page.on("console", lambda msg: _note_error(msg, problems))
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    page.goto(frontend_url + "/")
    expect(page).to_have_url(frontend_url + "/login", timeout=WAIT_MS)
    page.get_by_label("Email address").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(frontend_url + "/dashboard", timeout=WAIT_MS)
    rows = page.locator("tr[data-monitor-id]")
    expect(rows).to_have_count(2, timeout=WAIT_MS)
    expect(page.locator('[data-monitor-id="m-shop"] [data-status="up"]')).to_have_text("Up")
    expect(page.locator('[data-monitor-id="m-blog"] [data-status="down"]')).to_contain_text(
        "connection refused"
    )

    # A new monitor shows up through the script's polling, without a page load.
    page.evaluate("window.sameDocument = true")
    fake_api.monitors = [*fake_api.monitors, monitor("Docs", "degraded", monitor_id="m-docs")]
    expect(rows).to_have_count(3, timeout=WAIT_MS)
    assert page.evaluate("window.sameDocument === true"), "the page reloaded instead"

    page.get_by_role("link", name="Nederlands").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl", timeout=WAIT_MS)
    expect(page.locator('[data-monitor-id="m-shop"] [data-status="up"]')).to_have_text("Online")
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()
    expect(page.get_by_role("heading", name="Monitors")).to_be_visible()

    # On a phone the table turns into cards, with nothing sticking out sideways.
    page.set_viewport_size({"width": 375, "height": 800})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than a phone screen"

    assert problems == [], "the browser reported errors (a CSP violation, a script error?)"


def _note_error(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type == "error":
        problems.append(message.text)


@pytest.mark.e2e
def test_create_a_tcp_and_a_dns_test_through_the_form(
    page: Page, frontend_url: str, fake_api: FakeApi
) -> None:
    shop = monitor("Shop", "up", monitor_id="41")
    shop["id"], shop["tests"][0]["id"] = 41, 7
    fake_api.monitors = [shop]
    problems: list[str] = []
    page.on("console", lambda msg: _note_error(msg, problems))
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(frontend_url + "/login")
    page.get_by_label("Email address").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(frontend_url + "/dashboard", timeout=WAIT_MS)

    # TCP: the script swaps in its fields; a URL of another scheme gets the API's 422.
    page.goto(frontend_url + "/monitors/41/tests/new")
    expect(page.get_by_label("Method")).to_be_visible()
    page.get_by_label("Check kind").select_option("tcp")
    expect(page.get_by_label("Method")).to_be_hidden()
    expect(page.get_by_role("button", name="Show this kind's fields")).to_be_hidden()
    url = page.get_by_label("Target URL")
    expect(url).to_have_attribute("placeholder", "tcp://db.example.com:5432")
    url.fill("https://db.example.com:5432/")
    page.get_by_role("button", name="Save").click()
    expect(page.locator('[id="url-errors"]')).to_contain_text(
        "scheme must be one of tcp", timeout=WAIT_MS
    )
    expect(url).to_have_attribute("aria-invalid", "true")
    url.fill("tcp://db.example.com:5432")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(frontend_url + "/monitors/41", timeout=WAIT_MS)
    expect(page.get_by_role("cell", name="tcp://db.example.com:5432")).to_be_visible()

    # DNS: the name it looks up is a field of its own.
    page.goto(frontend_url + "/monitors/41/tests/new")
    page.get_by_label("Check kind").select_option("dns")
    page.get_by_label("Target URL").fill("dns://9.9.9.9")
    page.get_by_label("Name to look up").fill("example.com")
    page.get_by_label("Record type").select_option("MX")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(frontend_url + "/monitors/41", timeout=WAIT_MS)
    expect(page.get_by_role("cell", name="example.com MX @ dns://9.9.9.9")).to_be_visible()

    sent = [
        json.loads(s.body)
        for s in fake_api.requests_to("/api/v1/monitors/41/tests")
        if s.method == "POST"
    ]
    assert [b["kind"] for b in sent] == ["tcp", "tcp", "dns"]
    assert set(sent[1]) == {"kind", "url", "interval_s", "timeout_s"}, (
        "the hidden sections' fields were posted too"
    )
    assert sent[2]["name"] == "example.com" and sent[2]["record_type"] == "MX"
    # The refused form comes back as a 422 page, which Chromium notes; anything else is wrong.
    problems = [p for p in problems if "status of 422" not in p]
    assert problems == [], "the browser reported errors (a CSP violation, a script error?)"
