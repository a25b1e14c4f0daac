"""Single sign-on in a real Chromium through a real, certified OpenID Connect provider
(node-oidc-provider on loopback): the API and the frontend of an empty cell whose sign-up
is limited to example.com. First log-in makes the account; each refusal shows its page."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import asyncpg
import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests import services
from tests.browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS
from tests.e2e.conftest import Stack, _healthy, _stop
from tests.e2e.test_browser_monitor_pages import shoot
from tests.helpers import short_name, wait_sync
from tests.oidc.node_provider import CLIENT_ID, CLIENT_SECRET, oidc_provider
from tests.targets import free_port

pytestmark = pytest.mark.e2e
STORED: dict[str, str] = {}
CATCH = f"http://127.0.0.1:{free_port()}/caught"  # a redirect URI nothing listens on


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("sso-logs")
    db_name, database_url = services.create_migrated_database("vigil_e2e_sso")
    api_port, frontend_port, idp_port = free_port(), free_port(), free_port()
    frontend_url = f"http://127.0.0.1:{frontend_port}"
    redirects = (
        ",".join(f"{frontend_url}/login/sso/{n}/callback" for n in ("corp", "wrongiss", "staff"))
        + ","
        + CATCH
    )
    STORED["database_url"] = database_url  # the role test reads what the API stored
    secret = logs / "client-secret"
    secret.write_text(CLIENT_SECRET + "\n")
    try:
        with oidc_provider(idp_port, redirects, logs / "idp.log") as issuer:
            STORED["issuer"] = issuer
            env = {
                **os.environ,
                "VIGIL_DATABASE_URL": database_url,
                "VIGIL_CELL": short_name("o"),
                "VIGIL_API_PORT": str(api_port),
                "VIGIL_API_URL": f"http://127.0.0.1:{api_port}",
                "VIGIL_FRONTEND_PORT": str(frontend_port),
                "VIGIL_FRONTEND_URL": frontend_url,
                "VIGIL_SECRET_KEY": "sso-secret",
                "VIGIL_LOG_FORMAT": "text",
                "VIGIL_SIGNUP": "domains",
                "VIGIL_SIGNUP_DOMAINS": "example.com",
                "VIGIL_OIDC_PROVIDERS": "corp,wrongiss,staff",
                # Staff log-ins join alice's team; the provider's "ops" group makes editors.
                "VIGIL_OIDC_STAFF_ISSUER": issuer,
                "VIGIL_OIDC_STAFF_CLIENT_ID": CLIENT_ID,
                "VIGIL_OIDC_STAFF_CLIENT_SECRET": CLIENT_SECRET,
                "VIGIL_OIDC_STAFF_LABEL": "Staff",
                "VIGIL_OIDC_STAFF_TEAM": "alice@example.com",
                "VIGIL_OIDC_STAFF_ROLES": "ops=editor",
                "VIGIL_OIDC_CORP_ISSUER": issuer,
                "VIGIL_OIDC_CORP_CLIENT_ID": CLIENT_ID,
                "VIGIL_OIDC_CORP_CLIENT_SECRET_FILE": str(secret),
                "VIGIL_OIDC_CORP_LABEL": "Corp SSO",
                # The same server under another name: its discovery names another issuer.
                "VIGIL_OIDC_WRONGISS_ISSUER": issuer.replace("127.0.0.1", "localhost"),
                "VIGIL_OIDC_WRONGISS_CLIENT_ID": CLIENT_ID,
                "VIGIL_OIDC_WRONGISS_LABEL": "Partner",
                "VIGIL_OIDC_WRONGISS_CLIENT_SECRET": CLIENT_SECRET,
            }
            yield from _run(env, frontend_url, logs)
    finally:
        services.drop_database_sync(db_name)


def _run(env: dict[str, str], frontend_url: str, logs: Path) -> Iterator[Stack]:
    s = Stack(env["VIGIL_API_URL"], frontend_url, logs)
    for name in ("api", "frontend"):
        with open(logs / f"{name}.log", "wb") as out:
            s.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "ops.cli", name],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
    try:
        wait_sync(lambda: _healthy(s.api_url + "/api/v1/health"), "the API to be healthy")
        wait_sync(lambda: _healthy(s.frontend_url + "/healthz"), "the frontend to be up")
        yield s
        s.assert_running()
    finally:
        _stop(s)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB")
    yield context.new_page()
    context.close()


def _through_provider(page: Page, base: str, button: str, login: str) -> None:
    page.goto(base + "/login")
    page.get_by_role("link", name=button).click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any")
    page.locator("button[type=submit]").click()
    page.locator("button[type=submit]", has_text="Continue").click()  # the consent page


def _refused(page: Page, reason: str) -> None:
    expect(page.locator(f"[data-reason={reason}]")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="Single sign-on refused")).to_be_visible()


def test_first_log_in_makes_the_account_and_log_out_clears_it(stack: Stack, page: Page) -> None:
    base = stack.frontend_url
    page.goto(base + "/login")
    expect(page.get_by_role("link", name="Log in with Corp SSO")).to_be_visible()
    shoot(page, "login-sso")
    _through_provider(page, base, "Log in with Corp SSO", "alice@example.com")
    expect(page).to_have_url(base + "/dashboard", timeout=WAIT_MS)
    page.get_by_role("button", name="Log out").click()
    page.goto(base + "/dashboard")
    expect(page).to_have_url(base + "/login", timeout=WAIT_MS)


def test_an_unverified_email_is_refused(stack: Stack, page: Page) -> None:
    _through_provider(page, stack.frontend_url, "Log in with Corp SSO", "unverified@example.com")
    _refused(page, "email_unverified")
    shoot(page, "sso-refused")


def _member(email: str) -> tuple[int | None, str] | None:
    async def query() -> tuple[int | None, str] | None:
        conn = await asyncpg.connect(STORED["database_url"])
        try:
            row = await conn.fetchrow("SELECT owner_id, role FROM accounts WHERE email = $1", email)
        finally:
            await conn.close()
        return None if row is None else (row["owner_id"], row["role"])

    # Playwright's sync API runs an event loop in this thread: query from another.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, query()).result()


def test_a_team_provider_maps_its_group_to_a_role(
    stack: Stack, page: Page, browser: Browser
) -> None:
    base = stack.frontend_url
    alice = _member("alice@example.com")
    assert alice is not None and alice[0] is None  # an owner, made by the first test
    _through_provider(page, base, "Log in with Staff", "ops@example.com")
    expect(page).to_have_url(base + "/dashboard", timeout=WAIT_MS)
    ops = _member("ops@example.com")
    assert ops is not None and ops[1] == "editor" and ops[0] is not None
    other = browser.new_context(locale="en-GB").new_page()
    _through_provider(other, base, "Log in with Staff", "bob@example.com")
    expect(other).to_have_url(base + "/dashboard", timeout=WAIT_MS)
    assert _member("bob@example.com") == (ops[0], "viewer")  # no mapped group
    other.context.close()


def test_an_address_sign_up_is_closed_to_is_refused(stack: Stack, page: Page) -> None:
    _through_provider(page, stack.frontend_url, "Log in with Corp SSO", "eve@elsewhere.org")
    _refused(page, "signup_closed")


def test_a_wrong_issuer_is_refused(stack: Stack, page: Page) -> None:
    _through_provider(page, stack.frontend_url, "Log in with Partner", "alice@example.com")
    _refused(page, "issuer")


def test_a_callback_with_a_wrong_state_is_refused(stack: Stack, page: Page) -> None:
    base = stack.frontend_url
    page.goto(base + "/login")
    page.get_by_role("link", name="Log in with Corp SSO").click()  # a flow is under way
    page.goto(base + "/login/sso/corp/callback?state=forged&code=forged")
    _refused(page, "state")
    page.goto(base + "/dashboard")
    expect(page).to_have_url(base + "/login", timeout=WAIT_MS)


def _caught_code(page: Page, stack: Stack) -> tuple[str, dict[str, str]]:
    """A real code from the provider for a flow the test makes itself (its own verifier
    and nonce), sent to a redirect URI nothing listens on, so nobody spends it first."""
    flow = {"verifier": secrets.token_urlsafe(48), "nonce": secrets.token_urlsafe(24)}
    caught: list[str] = []
    page.on("request", lambda r: caught.append(r.url) if r.url.startswith(CATCH) else None)
    page.goto(
        STORED["issuer"]
        + "/auth?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": CLIENT_ID,
                "scope": "openid email",
                "redirect_uri": CATCH,
                "state": "s" * 16,
                "nonce": flow["nonce"],
                "code_challenge": create_s256_code_challenge(flow["verifier"]),
                "code_challenge_method": "S256",
            }
        )
    )
    page.locator("input[name=login]").fill("alice@example.com")
    page.locator("input[name=password]").fill("any")
    page.locator("button[type=submit]").click()
    with contextlib.suppress(PlaywrightError):  # the redirect goes nowhere, on purpose
        page.locator("button[type=submit]", has_text="Continue").click()
    for _ in range(WAIT_MS // 100):  # events are delivered only while Playwright waits
        if caught:
            break
        page.wait_for_timeout(100)
    return parse_qs(urlsplit(caught[0]).query)["code"][0], flow


def test_a_real_code_with_a_wrong_nonce_is_refused_and_a_code_works_once(
    stack: Stack, page: Page
) -> None:
    code, flow = _caught_code(page, stack)
    body = {
        "code": code,
        "redirect_uri": CATCH,
        "code_verifier": flow["verifier"],
        "nonce": "a-nonce-of-another-log-in",
    }
    login = f"{stack.api_url}/api/v1/auth/oidc/corp/login"
    answer = httpx.post(login, json=body, timeout=30)
    assert answer.status_code == 401 and answer.json()["detail"] == "nonce", answer.text
    # The provider spent the code on that try: the right nonce comes too late.
    answer = httpx.post(login, json={**body, "nonce": flow["nonce"]}, timeout=30)
    assert answer.status_code == 401 and answer.json()["detail"] == "code", answer.text


def test_a_real_code_with_a_wrong_verifier_is_refused(stack: Stack, page: Page) -> None:
    code, flow = _caught_code(page, stack)
    answer = httpx.post(
        f"{stack.api_url}/api/v1/auth/oidc/corp/login",
        timeout=30,
        json={
            "code": code,
            "redirect_uri": CATCH,
            "code_verifier": "w" * 43,
            "nonce": flow["nonce"],
        },
    )
    assert answer.status_code == 401 and answer.json()["detail"] == "code", answer.text
