"""In a real Chromium, through the real frontend and the real API: create a TCP test and a DNS
test with the test form, see the API's 422 beside the URL field for a URL of another kind's
scheme, and see the TCP test go up on the monitor page, run by the real executor; then a test
of every other check kind made with the form goes up against its real peer."""

from __future__ import annotations

from contextlib import ExitStack

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser import WAIT_MS, browser_page
from tests.dnspeer import Zone, dns_server_thread
from tests.e2e.conftest import Stack
from tests.executor.checks.tlspeer import CA_PEM, server_context, tls_server
from tests.helpers import short_name, wait_sync
from tests.sinks import smtp_sink
from tests.targets import ThreadedServer, in_thread, target_app

pytestmark = pytest.mark.e2e


def _log_in(page: Page, stack: Stack) -> tuple[str, str]:
    email, password = f"{short_name('kinds')}@example.com", "correct horse battery"
    with httpx.Client(base_url=f"{stack.api_url}/api/v1", timeout=10) as api:
        api.post("/auth/signup", json={"email": email, "password": password}).raise_for_status()
    page.goto(stack.frontend_url + "/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    return email, password


def _badge(page: Page, kind: str) -> str:
    """The status badge of the monitor page's (one) test of `kind`, after a reload."""
    page.reload()
    row = page.locator("table.monitors tbody tr").filter(has=page.locator(f'th:text-is("{kind}")'))
    return str(row.locator(".badge").get_attribute("class") or "")


def test_tcp_and_dns_tests_made_with_the_form_and_the_tcp_test_goes_up(stack: Stack) -> None:
    listener = ThreadedServer(target_app()).start()
    zone: Zone = {("db.kinds.test.", "A"): ["192.0.2.90"]}
    with dns_server_thread(zone) as dns_port, browser_page(locale="en-GB") as page:
        email, password = _log_in(page, stack)
        page.get_by_role("link", name="New monitor").click()
        page.get_by_label("Name", exact=True).fill("Database")
        page.get_by_label("Check kind").select_option("tcp")
        # The form shows the chosen kind's placeholder; an HTTP URL is not a TCP target.
        url = page.get_by_label("Target URL")
        expect(url).to_have_attribute("placeholder", "tcp://db.example.com:5432")
        url.fill(f"http://127.0.0.1:{listener.port}/")
        page.get_by_label("Interval (seconds)").fill("1")
        page.get_by_label("Timeout (seconds)").fill("0.5")
        page.get_by_role("button", name="Create monitor").click()
        errors = page.locator('[id="url-errors"]')
        expect(errors).to_be_visible(timeout=WAIT_MS)  # the API's 422, beside the field
        expect(errors).to_contain_text("scheme")

        page.get_by_label("Target URL").fill(f"tcp://127.0.0.1:{listener.port}")
        page.get_by_role("button", name="Create monitor").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Database", timeout=WAIT_MS)
        monitor_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

        page.get_by_role("link", name="Add a test").click()
        page.get_by_label("Check kind").select_option("dns")
        page.get_by_label("Target URL").fill(f"dns://127.0.0.1:{dns_port}")
        page.get_by_label("Name to look up").fill("db.kinds.test")
        page.get_by_label("Interval (seconds)").fill("1")
        page.get_by_label("Timeout (seconds)").fill("0.5")
        page.get_by_role("button", name="Save").click()
        expect(
            page.locator("table.monitors").get_by_role("rowheader", name="dns", exact=True)
        ).to_be_visible(timeout=WAIT_MS)

        wait_sync(
            lambda: "badge-up" in _badge(page, "tcp"),
            "the TCP test to show up",
            timeout=60,
            every=1,
        )
        wait_sync(
            lambda: "badge-up" in _badge(page, "dns"),
            "the DNS test to show up",
            timeout=60,
            every=1,
        )
    listener.stop()

    tests = _tests(stack, email, password, monitor_id)
    assert sorted(t["kind"] for t in tests) == ["dns", "tcp"]
    [dns] = [t for t in tests if t["kind"] == "dns"]
    assert dns["config"]["name"] == "db.kinds.test"
    assert dns["config"]["url"] == f"dns://127.0.0.1:{dns_port}"
    stack.assert_running()


def _tests(stack: Stack, email: str, password: str, monitor_id: int) -> list[dict]:
    with httpx.Client(base_url=f"{stack.api_url}/api/v1", timeout=10) as api:
        login = api.post("/auth/login", json={"email": email, "password": password})
        login.raise_for_status()
        answer = api.get(
            f"/monitors/{monitor_id}",
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        )
        answer.raise_for_status()
        return list(answer.json()["tests"])


def _add_test(page: Page, kind: str, url: str, own: dict[str, str]) -> None:
    """Add a test of `kind` with the form: its URL, its own fields (by the form's field names,
    `kind.field`), a short interval; back on the monitor page it is listed."""
    page.get_by_role("link", name="Add a test").click()
    page.get_by_label("Check kind").select_option(kind)
    page.get_by_label("Target URL").fill(url)
    for key, value in own.items():
        page.locator(f'[id="{kind}.{key}"]').fill(value)
    page.get_by_label("Interval (seconds)").fill("2")
    page.get_by_label("Timeout (seconds)").fill("1.5")
    page.get_by_role("button", name="Save").click()
    row = page.locator("table.monitors").get_by_role("rowheader", name=kind, exact=True)
    expect(row).to_be_visible(timeout=WAIT_MS)


def test_every_check_kind_made_with_the_form_goes_up_against_its_peer(stack: Stack) -> None:
    site = ThreadedServer(target_app()).start()
    with ExitStack() as peers, browser_page(locale="en-GB") as page:
        tls_port = peers.enter_context(in_thread(tls_server(server_context())))
        _, smtp_port = peers.enter_context(smtp_sink())
        tests = {  # kind -> (URL, its own fields in the form); the machine's services read-only
            "http": (f"{site.url}/ok", {"contains": "hello"}),
            "tls": (f"tls://127.0.0.1:{tls_port}", {"ca_pem": CA_PEM, "warn_days": "7"}),
            "ping": ("icmp://127.0.0.1", {"count": "2"}),
            "smtp": (f"smtp://127.0.0.1:{smtp_port}", {"banner_contains": "SMTP"}),
            "redis": ("redis://127.0.0.1:6379", {}),
            "postgres": ("postgresql://postgres@127.0.0.1:5432/postgres", {}),
            "mysql": ("mysql://root@127.0.0.1:3306", {}),
            "rabbitmq": ("amqp://guest:guest@127.0.0.1:5672/", {}),
        }
        email, password = _log_in(page, stack)
        page.get_by_role("link", name="New monitor").click()
        page.get_by_label("Name", exact=True).fill("Everything")
        page.get_by_label("Check kind").select_option("tcp")
        page.get_by_label("Target URL").fill(f"tcp://127.0.0.1:{site.port}")
        page.get_by_role("button", name="Create monitor").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Everything", timeout=WAIT_MS)
        monitor_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
        for kind, (url, own) in tests.items():
            _add_test(page, kind, url, own)
        for kind in ("tcp", *tests):
            wait_sync(
                lambda k=kind: "badge-up" in _badge(page, k),
                f"the {kind} test to be up",
                timeout=60,
                every=1,
            )
    site.stop()

    made = {t["kind"]: t for t in _tests(stack, email, password, monitor_id)}
    assert set(made) == {"tcp", *tests}
    assert made["http"]["config"]["contains"] == "hello"
    assert made["tls"]["config"]["warn_days"] == 7
    assert made["ping"]["config"]["count"] == 2
    assert made["smtp"]["config"]["banner_contains"] == "SMTP"
    assert "guest:guest" not in str(made["rabbitmq"])  # the password is masked
    stack.assert_running()
