"""GET/POST /signup and /activate/<token> against the fake API, which signs up as the API
does: the same answer for a free address and a taken one, and the account made by the
mailed link (tests/frontend/test_fake_contract.py holds the fake to the API)."""

from __future__ import annotations

import json

from flask.testing import FlaskClient

from tests.frontend.fake_api import DEMO_EMAIL, DEMO_PASSWORD, FakeApi
from tests.frontend.helpers import csrf_token, text

PASSWORD = "long enough pass"


def _sign_up(
    client: FlaskClient, email: str, password: str = PASSWORD, path: str = "/signup"
) -> str:
    form = {"email": email, "password": password, "csrf_token": csrf_token(client, path)}
    response = client.post(path, data=form, follow_redirects=True)
    return text(response)


def test_a_taken_address_is_told_what_a_free_one_is(client: FlaskClient, fake_api: FakeApi) -> None:
    taken = _sign_up(client, DEMO_EMAIL, "someone else's")
    free = _sign_up(client, "new@example.com")
    assert "We have sent a mail to this address." in taken
    assert "We have sent a mail to this address." in free
    assert "someone else&#39;s" not in taken and PASSWORD not in free
    assert [(kind, to) for kind, to, _ in fake_api.mails] == [
        ("signup_taken", DEMO_EMAIL),
        ("signup_confirm", "new@example.com"),
    ]
    assert fake_api.accounts == {DEMO_EMAIL: DEMO_PASSWORD}  # nothing made yet
    with client.session_transaction() as session:
        assert "token" not in session


def test_the_mailed_link_makes_the_account_once_with_a_button(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    _sign_up(client, "new@example.com")
    [(_, _, link)] = fake_api.mails
    page = client.get(f"/activate/{link}")
    assert page.status_code == 200
    assert "Make my account" in text(page)
    assert fake_api.accounts.get("new@example.com") is None  # a visit makes nothing
    made = client.post(
        f"/activate/{link}", data={"csrf_token": csrf_token(client, f"/activate/{link}")}
    )
    assert made.status_code == 302 and made.location == "/dashboard"
    assert fake_api.accounts["new@example.com"] == PASSWORD
    with client.session_transaction() as session:
        assert session["token"] in fake_api.tokens
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    again = client.post(
        f"/activate/{link}", data={"csrf_token": csrf_token(client, f"/activate/{link}")}
    )
    assert again.status_code == 422
    assert "This link has been used or has expired." in text(again)


def test_the_sign_up_asks_for_the_mail_in_the_pages_language(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    client.get("/signup?lang=de")
    html = _sign_up(client, "neu@example.com")
    assert '<html lang="de">' in html
    [call] = fake_api.requests_to("/api/v1/auth/signup")
    assert call.headers["Accept-Language"] == "de"
    assert json.loads(call.body)["email"] == "neu@example.com"


def test_without_mailed_links_a_free_address_is_logged_in(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    fake_api.signup_confirm = False
    form = {
        "email": "new@example.com",
        "password": PASSWORD,
        "csrf_token": csrf_token(client, "/signup"),
    }
    made = client.post("/signup", data=form)
    assert made.status_code == 302 and made.location == "/dashboard"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    taken = _sign_up(client, DEMO_EMAIL, "someone else's")
    assert "We have sent a mail to this address." in taken


def test_the_first_run_makes_the_account_at_once(client: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.accounts.clear()
    assert client.get("/signup").location == "/setup"
    form = {
        "email": "owner@example.com",
        "password": PASSWORD,
        "csrf_token": csrf_token(client, "/setup"),
    }
    made = client.post("/setup", data=form)
    assert made.status_code == 302 and made.location == "/dashboard"
    assert fake_api.mails == []


def test_bad_fields_are_named_beside_them(client: FlaskClient) -> None:
    form = {
        "email": "new@example.com",
        "password": "short",
        "csrf_token": csrf_token(client, "/signup"),
    }
    answer = client.post("/signup", data=form)
    assert answer.status_code == 422
    assert 'id="password-errors"' in text(answer)
