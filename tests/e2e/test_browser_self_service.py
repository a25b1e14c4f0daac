"""The self-service pages in a real Chromium, against a stack of their own: the API, the
notifier (its email channel, to an aiosmtpd sink) and the frontend, on an empty cell whose
sign-up is limited to example.com. First run, sign-up refused, an invitation followed
from its mail in a second browser context, roles changed, API keys made and used,
a forgotten password reset by mail, and preferences kept on the account."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests import services
from tests.browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS
from tests.e2e.conftest import Stack, _healthy, _stop
from tests.e2e.test_browser_monitor_pages import shoot
from tests.helpers import short_name, wait_sync
from tests.sinks import Sink, smtp_sink
from tests.targets import free_port

pytestmark = pytest.mark.e2e
OWNER, MEMBER = "owner@example.com", "member@example.com"
PASSWORD = "correct horse battery"
COMPONENTS = ("notifier", "api", "frontend")


@dataclass
class Cell:
    stack: Stack
    sink: Sink


@pytest.fixture(scope="module")
def cell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cell]:
    db_name, database_url = services.create_migrated_database("vigil_e2e_self")
    vhost, amqp_url = services.create_vhost("vigil-e2e-self")
    try:
        with smtp_sink() as (sink, smtp_port):
            yield from _cell(
                database_url,
                amqp_url,
                smtp_port,
                sink,
                tmp_path_factory.mktemp("self-service-logs"),
            )
    finally:
        services.delete_vhost(vhost)
        services.drop_database_sync(db_name)


def _cell(
    database_url: str, amqp_url: str, smtp_port: int, sink: Sink, logs: Path
) -> Iterator[Cell]:
    api_port, frontend_port = free_port(), free_port()
    frontend_url = f"http://127.0.0.1:{frontend_port}"
    env = {
        **os.environ,
        "VIGIL_DATABASE_URL": database_url,
        "VIGIL_AMQP_URL": amqp_url,
        "VIGIL_CELL": short_name("s"),
        "VIGIL_API_PORT": str(api_port),
        "VIGIL_API_URL": f"http://127.0.0.1:{api_port}",
        "VIGIL_FRONTEND_PORT": str(frontend_port),
        "VIGIL_FRONTEND_URL": frontend_url,
        "VIGIL_SECRET_KEY": "self-service-secret",
        "VIGIL_LOG_FORMAT": "text",
        "VIGIL_SIGNUP": "domains",
        "VIGIL_SIGNUP_DOMAINS": "example.com",
        "VIGIL_SIGNUP_CONFIRM": "true",  # the default, which tests/conftest.py turns off
        "VIGIL_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}?security=plain",
        "VIGIL_SMTP_FROM": "vigil@example.com",
        "VIGIL_ADMIN_EMAILS": OWNER,
        "VIGIL_STATE_DIR": str(logs / "state"),
    }
    s = Stack(env["VIGIL_API_URL"], frontend_url, logs)
    for name in COMPONENTS:
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
        yield Cell(s, sink)
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


def _mail_to(sink: Sink, address: str, kind: str, seen: int = 0) -> Message:
    def found() -> Message | None:
        mails = [m for m in sink.messages if m["To"] == address and m["X-Vigil-Event"] == kind]
        return mails[seen] if len(mails) > seen else None

    return wait_sync(found, f"the {kind} mail to {address}", timeout=30)


def _link(mail: Message, path: str) -> str:
    text = mail.get_body(("plain",)).get_content()
    match = re.search(rf"https?://\S+/{path}/\S+", text)
    assert match, text
    return match.group(0)


def _log_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(base + "/dashboard", timeout=WAIT_MS)


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()


def test_1_first_run_makes_the_owner_then_sign_up_keeps_to_its_domain(
    cell: Cell, page: Page
) -> None:
    base = cell.stack.frontend_url
    page.goto(base + "/signup")
    expect(page).to_have_url(base + "/setup", timeout=WAIT_MS)
    shoot(page, "first-run")
    page.get_by_label("Email address").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create the first account").click()
    expect(page).to_have_url(base + "/dashboard", timeout=WAIT_MS)
    expect(page.get_by_role("link", name="System (operators)")).to_be_visible()
    _log_out(page)

    page.goto(base + "/setup")
    expect(page).to_have_url(base + "/login", timeout=WAIT_MS)  # a first run only once
    page.goto(base + "/signup")
    expect(page.get_by_text("Sign-up is open to addresses at example.com.")).to_be_visible()
    page.get_by_label("Email address").fill("someone@elsewhere.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_contain_text("Sign-up is not open to this email")
    page.get_by_label("Email address").fill("new@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("#password-errors")).to_have_text("At least 8 characters.")
    expect(page.get_by_label("Password")).to_have_value("")  # never sent back
    shoot(page, "signup")
    login = httpx.post(
        f"{cell.stack.api_url}/api/v1/auth/login",
        json={"email": "someone@elsewhere.example", "password": PASSWORD},
    )
    assert login.status_code == 401  # nothing was made


def test_1b_sign_up_says_the_same_for_a_taken_address_and_mails_the_rest(
    cell: Cell, page: Page
) -> None:
    """A taken address is told what a free one is; its owner gets a note by mail, and the
    free one a link whose button makes the account."""
    base, joiner = cell.stack.frontend_url, "joiner@example.com"
    said = []
    for email, password in ((OWNER, "someone else's guess"), (joiner, PASSWORD)):
        page.goto(base + "/signup")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign up").click()
        expect(page).to_have_url(base + "/login", timeout=WAIT_MS)
        said.append(page.locator("main").inner_text())
    assert said[0] == said[1] and "We have sent a mail to this address." in said[0]
    note = _mail_to(cell.sink, OWNER, "signup_taken").get_body(("plain",)).get_content()
    assert "already has an account" in note and f"{base}/login" in note
    owners = httpx.post(
        f"{cell.stack.api_url}/api/v1/auth/login",
        json={"email": OWNER, "password": "someone else's guess"},
    )
    assert owners.status_code == 401  # the owner's password is as it was
    link = _link(_mail_to(cell.sink, joiner, "signup_confirm"), "activate")
    page.goto(link)
    shoot(page, "activate")
    page.get_by_role("button", name="Make my account").click()
    expect(page).to_have_url(base + "/dashboard", timeout=WAIT_MS)
    expect(page.get_by_text("Your account is ready.")).to_be_visible()
    _log_out(page)
    page.goto(link)
    page.get_by_role("button", name="Make my account").click()
    expect(page.get_by_role("alert")).to_contain_text("This link has been used")
    _log_in(page, base, joiner)
    _log_out(page)


def test_2_invite_a_member_who_follows_the_mail_and_whose_role_changes(
    cell: Cell, browser: Browser, page: Page
) -> None:
    base = cell.stack.frontend_url
    _log_in(page, base, OWNER)
    page.get_by_role("link", name="Team").click()
    page.get_by_label("Email address").fill(MEMBER)
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text(f"Invitation sent to {MEMBER}")
    link = _link(_mail_to(cell.sink, MEMBER, "invitation"), "invite")
    assert link.startswith(base + "/invite/vi_")

    member_context = browser.new_context(locale="en-GB")
    member = member_context.new_page()
    member.goto(link)
    shoot(member, "accept-invitation")
    member.get_by_label("Password").fill(PASSWORD)
    member.get_by_role("button", name="Accept the invitation").click()
    expect(member).to_have_url(base + "/dashboard", timeout=WAIT_MS)

    # A viewer is offered no key form, and posting one anyway is refused, changing nothing.
    member.goto(base + "/api-keys")
    expect(member.get_by_role("button", name="Create key")).to_have_count(0)
    csrf = member.locator('input[name="csrf_token"]').first.get_attribute("value")
    refused = member.request.post(
        base + "/api-keys", form={"csrf_token": csrf, "name": "sneaky", "role": "viewer"}
    )
    assert refused.status == 403
    member.goto(base + "/team")
    expect(member.get_by_role("button", name="Send invitation")).to_have_count(0)
    expect(member.get_by_role("button", name="Change role")).to_have_count(0)

    page.goto(base + "/team")
    row = page.locator(f'tr[data-member="{MEMBER}"]')
    row.get_by_label(f"Role of {MEMBER}").select_option("editor")
    row.get_by_role("button", name="Change role").click()
    expect(page.get_by_role("status")).to_contain_text("Role changed")
    shoot(page, "team")

    member.goto(base + "/api-keys")
    expect(member.get_by_role("button", name="Create key")).to_be_visible()
    expect(member.get_by_text("sneaky")).to_have_count(0)  # the refused post made nothing

    page.goto(base + "/team")
    page.get_by_role("button", name=f"Remove {MEMBER}").click()
    expect(page.get_by_role("status")).to_contain_text("Member removed")
    member.goto(base + "/api-keys")
    expect(member).to_have_url(base + "/login", timeout=WAIT_MS)  # the log-in is gone
    member_context.close()


def test_3_an_api_key_made_in_the_browser_works_with_its_scope_until_revoked(
    cell: Cell, page: Page
) -> None:
    base, api = cell.stack.frontend_url, f"{cell.stack.api_url}/api/v1"
    _log_in(page, base, OWNER)
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("deploy script")
    page.get_by_label("Scope").select_option("viewer")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key").inner_text()
    assert key.startswith("vk_")
    shoot(page, "api-keys")
    headers = {"Authorization": f"Bearer {key}"}
    assert httpx.get(f"{api}/monitors", headers=headers).status_code == 200
    assert (
        httpx.post(f"{api}/monitors", headers=headers, json={"name": "x", "tests": []}).status_code
        == 403
    )  # read-only
    page.reload()
    expect(page.locator("#new-key")).to_have_count(0)  # shown once
    row = page.locator('tr[data-key="deploy script"]')
    expect(row.locator("[data-last-used]")).not_to_have_text("never")
    row.get_by_role("button", name="Revoke deploy script").click()
    expect(page.get_by_role("status")).to_contain_text("API key revoked")
    assert httpx.get(f"{api}/monitors", headers=headers).status_code == 401


def test_4_a_forgotten_password_is_reset_by_a_link_that_works_once(cell: Cell, page: Page) -> None:
    base = cell.stack.frontend_url
    for email in ("nobody@example.com", OWNER):  # the same answer for both
        page.goto(base + "/login")
        page.get_by_role("link", name="Forgotten password?").click()
        page.get_by_label("Email address").fill(email)
        page.get_by_role("button", name="Send the link").click()
        expect(page.get_by_role("status")).to_contain_text("If an account uses this address")
    link = _link(_mail_to(cell.sink, OWNER, "password_reset"), "reset")
    assert not [m for m in cell.sink.messages if m["To"] == "nobody@example.com"]
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("a new password")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password has been changed")
    shoot(page, "reset-done")
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("yet another")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_contain_text("This link has been used or has expired")
    _log_in(page, base, OWNER, "a new password")
    # Back to the password the other tests use, through the account page.
    page.get_by_role("link", name="Account").click()
    page.get_by_label("Current password").fill("a new password")
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password has been changed")


def test_5_language_and_time_zone_follow_the_account_to_another_browser(
    cell: Cell, browser: Browser, page: Page
) -> None:
    base = cell.stack.frontend_url
    _log_in(page, base, OWNER)
    page.get_by_role("link", name="Account").click()
    page.get_by_label("Current password").fill("wrong password")
    page.get_by_label("New password", exact=True).fill("whatever it is")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#current_password-errors")).to_be_visible()
    page.get_by_role("combobox", name="Language").select_option("nl")
    page.get_by_label("Time zone", exact=True).select_option("Europe/Amsterdam")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl", timeout=WAIT_MS)
    shoot(page, "account")

    other = browser.new_context(locale="en-GB", timezone_id="America/New_York")
    fresh = other.new_page()
    _log_in(fresh, base, OWNER)
    expect(fresh.locator("html")).to_have_attribute("lang", "nl")
    fresh.goto(base + "/account")
    expect(fresh.get_by_role("combobox", name="Tijdzone")).to_have_value("Europe/Amsterdam")
    other.close()
    token = httpx.post(
        f"{cell.stack.api_url}/api/v1/auth/login", json={"email": OWNER, "password": PASSWORD}
    ).json()["access_token"]
    me = httpx.get(
        f"{cell.stack.api_url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert (me["language"], me["time_zone"]) == ("nl", "Europe/Amsterdam")


def test_6_every_new_form_wants_the_csrf_token_and_names_the_bad_field(
    cell: Cell, page: Page
) -> None:
    base = cell.stack.frontend_url
    _log_in(page, base, OWNER)
    page.goto(base + "/team")
    csrf = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    garbage = {
        "/team/invite": ({"email": "x@example.com", "role": "god"}, "role"),
        "/team/members/1/role": ({"role": "root"}, "role"),
        "/api-keys": ({"name": "k", "role": "owner"}, "role"),
        "/account": ({"language": "xx", "time_zone": "Europe/Amsterdam"}, "language"),
        "/account/password": (
            {"current_password": PASSWORD, "new_password": "short"},
            "new_password",
        ),
        "/forgot": ({"email": "not an email"}, "email"),
    }
    for path, (form, field) in garbage.items():
        assert page.request.post(base + path, form=form).status == 400, path  # no token
        answer = page.request.post(base + path, form={**form, "csrf_token": csrf})
        assert answer.status == 422, (path, answer.status)
        assert f'id="{field}-errors"' in answer.text(), path
    for path in (
        "/team/members/1/delete",
        "/api-keys/1/revoke",
        "/invite/vi_x",
        "/reset/1.2.x",
        "/signup",
        "/setup",
        "/team/invitations/1/delete",
    ):
        assert page.request.post(base + path, form={}).status == 400, path
    assert httpx.get(f"{cell.stack.api_url}/api/v1/auth/signup-policy").json()["first_run"] is False
