"""Private status pages in Chromium, through the real stack. Password: the owner makes the
page private in its settings form; a visitor is refused, gives a wrong password, then the
right one, and sees the page (noindex, free of axe-core violations); a tampered cookie is
refused; the page's feed refuses without its token and parses with it. Email domain: a
stranger's address is refused, an allowed one gets a link by mail (the real notifier, an
SMTP sink) that opens the page once."""

from __future__ import annotations

import re
import uuid
from email.message import Message

import feedparser
import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser import WAIT_MS, browser_page
from tests.e2e.conftest import Stack
from tests.e2e.test_browser_incident_and_channel import _api, _log_in
from tests.helpers import wait_sync

pytestmark = pytest.mark.e2e

PAGE_PASSWORD = "blue whale 1987"


def _no_violations(tab: Page, where: str) -> None:
    results = Axe().run(tab)
    assert results.violations_count == 0, f"{where}:\n{results.generate_report()}"


def _public_page(client: httpx.Client) -> tuple[int, str]:
    monitor = client.post(
        "/monitors",
        json={
            "name": "Payroll",
            "tests": [
                {"kind": "http", "url": "http://127.0.0.1:9/", "interval_s": 60, "timeout_s": 0.5}
            ],
        },
    )
    assert monitor.status_code == 201, monitor.text
    slug = f"intra-{uuid.uuid4().hex[:8]}"
    page = client.post(
        "/status-pages", json={"slug": slug, "title": "Intranet status", "language": "en"}
    ).json()
    assert (
        client.post(
            f"/status-pages/{page['id']}/monitors", json={"monitor_id": monitor.json()["id"]}
        ).status_code
        == 201
    )
    return page["id"], slug


def _make_private(stack: Stack, owner: str, page_id: int) -> str:
    """The owner's form in the browser; the RSS link the page then shows its owner."""
    with browser_page() as tab:
        _log_in(tab, stack, owner)
        tab.goto(f"{stack.frontend_url}/status-pages/{page_id}")
        tab.get_by_label("Visitors with the password").check()
        tab.get_by_label("Page password").fill(PAGE_PASSWORD)
        tab.get_by_role("button", name="Save", exact=True).click()
        links = tab.get_by_role("region", name="Private links")
        expect(links).to_be_visible(timeout=WAIT_MS)
        rss = links.get_by_role("row", name=re.compile("RSS feed")).locator("code")
        return rss.inner_text()


def test_a_private_page_refuses_then_opens_with_its_password(stack: Stack) -> None:
    owner = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    client = _api(stack, owner)
    try:
        page_id, slug = _public_page(client)
        feed_url = _make_private(stack, owner, page_id)
        assert client.get(f"/status-pages/{page_id}").json()["visibility"] == "password"
    finally:
        client.close()

    with browser_page() as tab:
        answer = tab.goto(f"{stack.frontend_url}/s/{slug}")
        assert answer is not None and answer.status == 401
        expect(tab.get_by_role("heading", name="This status page is private")).to_be_visible()
        expect(tab.get_by_text("Payroll")).to_have_count(0)
        assert tab.locator('meta[name="robots"]').get_attribute("content") == "noindex, nofollow"
        _no_violations(tab, "the password form")
        tab.get_by_label("Password").fill("not the password")
        tab.get_by_role("button", name="Open the page").click()
        expect(tab.get_by_role("alert")).to_have_text(
            "That password is not right.", timeout=WAIT_MS
        )
        _no_violations(tab, "the password form with an error")
        tab.get_by_label("Password").fill(PAGE_PASSWORD)
        tab.get_by_role("button", name="Open the page").click()
        expect(tab.get_by_text("Payroll", exact=True)).to_be_visible(timeout=WAIT_MS)
        expect(tab.get_by_role("heading", level=1)).not_to_have_text("This status page is private")
        assert tab.locator('meta[name="robots"]').get_attribute("content") == "noindex, nofollow"
        _no_violations(tab, "the private page, opened")
        cookie = next(c for c in tab.context.cookies() if c["name"] == f"vigil_page_{slug}")
        assert cookie["httpOnly"] is True
        tab.reload()  # the cookie holds for the visit
        expect(tab.get_by_text("Payroll", exact=True)).to_be_visible(timeout=WAIT_MS)
        tab.context.add_cookies([{**cookie, "value": cookie["value"][:-3] + "xyz"}])
        tab.reload()
        expect(tab.get_by_role("heading", name="This status page is private")).to_be_visible(
            timeout=WAIT_MS
        )

    without = httpx.get(feed_url.split("?")[0], timeout=10)
    tampered = httpx.get(feed_url[:-2] + "zz", timeout=10)
    feed = httpx.get(feed_url, timeout=10)
    assert without.status_code == 401 and "Payroll" not in without.text
    assert tampered.status_code == 401
    assert feed.status_code == 200, feed.text
    parsed = feedparser.parse(feed.content)
    assert not parsed.bozo and parsed.version == "rss20"
    assert parsed.feed.title == "Intranet status"


@pytest.mark.parametrize(
    "private",
    [
        {"visibility": "password", "password": PAGE_PASSWORD},
        {"visibility": "email_domain", "allowed_domains": ["example.com"]},
    ],
)
def test_a_page_made_private_is_locked_at_once_for_a_visitor_who_saw_it_public(
    stack: Stack, private: dict
) -> None:
    """The frontend keeps public pages 30 s and the API 5 s: neither copy may outlive the
    owner's change. The visitor's own browser reads the page twice, the second time right
    after the owner's PATCH through the API (as `vigil apply` or a script would send it)."""
    client = _api(stack, f"owner-{uuid.uuid4().hex[:8]}@example.com")
    try:
        page_id, slug = _public_page(client)
        with browser_page() as tab:
            shown = tab.goto(f"{stack.frontend_url}/s/{slug}")
            assert shown is not None and shown.status == 200
            expect(tab.get_by_text("Payroll", exact=True)).to_be_visible(timeout=WAIT_MS)
            again = tab.goto(f"{stack.frontend_url}/s/{slug}")  # now from the caches
            assert again is not None and again.status == 200
            expect(tab.get_by_text("Payroll", exact=True)).to_be_visible(timeout=WAIT_MS)

            changed = client.patch(f"/status-pages/{page_id}", json=private)
            assert changed.status_code == 200, changed.text

            locked = tab.goto(f"{stack.frontend_url}/s/{slug}")
            assert locked is not None and locked.status == 401
            expect(tab.get_by_role("heading", name="This status page is private")).to_be_visible()
            expect(tab.get_by_text("Payroll")).to_have_count(0)
            tab.reload()
            expect(tab.get_by_role("heading", name="This status page is private")).to_be_visible()
        # Another visitor, and a client that sends no cookie at all: the same.
        for answer in (
            httpx.get(f"{stack.frontend_url}/s/{slug}", timeout=10),
            httpx.get(f"{stack.api_url}/api/v1/public/status-pages/{slug}", timeout=10),
        ):
            assert answer.status_code == 401 and "Payroll" not in answer.text
    finally:
        client.close()


def _mails_to(stack: Stack, address: str) -> list[Message]:
    assert stack.smtp is not None
    return [m for m in list(stack.smtp.messages) if address in str(m["To"])]


def test_an_email_domain_page_opens_with_a_mailed_one_time_link(stack: Stack) -> None:
    client = _api(stack, f"owner-{uuid.uuid4().hex[:8]}@example.com")
    try:
        monitor = client.post(
            "/monitors",
            json={
                "name": "Ledger",
                "tests": [
                    {
                        "kind": "http",
                        "url": "http://127.0.0.1:9/",
                        "interval_s": 60,
                        "timeout_s": 0.5,
                    }
                ],
            },
        ).json()
        slug = f"corp-{uuid.uuid4().hex[:8]}"
        page = client.post(
            "/status-pages",
            json={
                "slug": slug,
                "title": "Corp status",
                "language": "en",
                "visibility": "email_domain",
                "allowed_domains": ["corp.example"],
            },
        )
        assert page.status_code == 201, page.text
        assert (
            client.post(
                f"/status-pages/{page.json()['id']}/monitors", json={"monitor_id": monitor["id"]}
            ).status_code
            == 201
        )
    finally:
        client.close()
    address = f"visitor-{uuid.uuid4().hex[:8]}@corp.example"

    with browser_page() as tab:
        tab.goto(f"{stack.frontend_url}/s/{slug}")
        expect(tab.get_by_role("heading", name="This status page is private")).to_be_visible()
        _no_violations(tab, "the email form")
        tab.get_by_label("Email").fill(f"stranger-{uuid.uuid4().hex[:6]}@elsewhere.example")
        tab.get_by_role("button", name="Send me a link").click()
        expect(tab.get_by_role("alert")).to_contain_text(
            "Only addresses of the domains", timeout=WAIT_MS
        )
        tab.get_by_label("Email").fill(address)
        tab.get_by_role("button", name="Send me a link").click()
        expect(tab.get_by_role("status")).to_contain_text(
            f"We sent a link to {address}", timeout=WAIT_MS
        )
        [mail] = wait_sync(lambda: _mails_to(stack, address), "the sign-in mail")
        assert mail["Subject"] == "[Vigil] Sign in to the status page Corp status"
        body = mail.get_body(("plain",)).get_content()
        link = re.search(rf"https?://\S+/s/{slug}/sign-in\?token=\S+", body).group(0)
        tab.goto(link)
        tab.get_by_role("button", name="Open the page").click()
        expect(tab.get_by_text("Ledger", exact=True)).to_be_visible(timeout=WAIT_MS)
        assert tab.locator('meta[name="robots"]').get_attribute("content") == "noindex, nofollow"
        tab.context.clear_cookies()
        tab.goto(link)  # a link works once
        tab.get_by_role("button", name="Open the page").click()
        expect(tab.get_by_role("alert")).to_contain_text(
            "used already or has expired", timeout=WAIT_MS
        )
        expect(tab.get_by_text("Ledger")).to_have_count(0)
