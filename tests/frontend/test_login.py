"""GET/POST /login: the form, the API call, and every way it can go wrong."""

from __future__ import annotations

import json

import pytest
from flask import Flask, session
from flask.testing import FlaskClient

from frontend.auth import API_URL_KEY, cell_api_url
from tests.frontend.fake_api import DEMO_EMAIL, FakeApi
from tests.frontend.helpers import csrf_token, login, text


def test_form_has_labelled_fields_and_a_csrf_token(client: FlaskClient) -> None:
    html = text(client.get("/login"))
    assert '<label for="email">Email address</label>' in html
    assert '<label for="password">Password</label>' in html
    assert 'name="csrf_token"' in html
    assert 'type="password"' in html


def test_success_stores_the_token_and_goes_to_dashboard(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    response = login(client)
    assert response.status_code == 302
    assert response.location == "/dashboard"
    [call] = fake_api.requests_to("/api/v1/auth/login")
    assert json.loads(call.body) == {"email": DEMO_EMAIL, "password": "vigil-demo"}
    with client.session_transaction() as session:
        assert session["token"] in fake_api.tokens


def test_success_starts_a_new_session(client: FlaskClient) -> None:
    """A token planted before log-in (session fixation) is useless afterwards."""
    before = csrf_token(client)
    login(client)
    with client.session_transaction() as session:
        assert session.get("csrf") != before


def test_wrong_password_shows_the_error_and_keeps_the_email(client: FlaskClient) -> None:
    response = login(client, password="not-it")
    html = text(response)
    assert response.status_code == 200
    assert "Wrong email address or password." in html
    assert f'value="{DEMO_EMAIL}"' in html
    assert "not-it" not in html
    with client.session_transaction() as session:
        assert "token" not in session


def test_wrong_password_error_in_dutch(client: FlaskClient) -> None:
    client.get("/login?lang=nl")
    html = text(login(client, password="not-it"))
    assert "Onjuist e-mailadres of wachtwoord." in html
    assert '<html lang="nl">' in html


def test_wrong_password_error_in_dutch_from_accept_language(client: FlaskClient) -> None:
    headers = {"Accept-Language": "nl-NL,nl;q=0.9"}
    html = text(login(client, password="not-it", headers=headers))
    assert "Onjuist e-mailadres of wachtwoord." in html


def test_malformed_email_rejected_by_api_is_a_failed_login(client: FlaskClient) -> None:
    html = text(login(client, email="not-an-email"))
    assert "Wrong email address or password." in html
    assert 'value="not-an-email"' in html


def test_empty_fields_are_refused_without_asking_the_api(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    html = text(login(client, email="", password=""))
    assert "Enter your email address and password." in html
    assert fake_api.requests_to("/api/v1/auth/login") == []


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_missing_or_wrong_csrf_token_is_refused(
    client: FlaskClient, fake_api: FakeApi, token: str | None
) -> None:
    csrf_token(client)  # the session has a token; the form below does not carry it
    form = {"email": DEMO_EMAIL, "password": "vigil-demo"}
    if token is not None:
        form["csrf_token"] = token
    response = client.post("/login", data=form)
    assert response.status_code == 400
    assert "This form has expired" in text(response)
    assert fake_api.seen == []


def test_csrf_token_without_a_session_is_refused(client: FlaskClient) -> None:
    form = {"email": DEMO_EMAIL, "password": "vigil-demo", "csrf_token": "anything"}
    assert client.post("/login", data=form).status_code == 400


def test_api_down_at_login_is_a_friendly_502(client: FlaskClient, fake_api: FakeApi) -> None:
    token = csrf_token(client)
    form = {"email": DEMO_EMAIL, "password": "vigil-demo", "csrf_token": token}
    with fake_api.refusing_connections():
        response = client.post("/login", data=form)
    assert response.status_code == 502
    assert "The monitoring service is not answering" in text(response)


def test_login_answer_without_token_is_a_friendly_502(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    token = csrf_token(client)
    fake_api.answer_everything_with(200, '{"token_type": "bearer"}')
    form = {"email": DEMO_EMAIL, "password": "vigil-demo", "csrf_token": token}
    assert client.post("/login", data=form).status_code == 502


def test_logged_in_user_skips_the_form(logged_in: FlaskClient) -> None:
    response = logged_in.get("/login")
    assert response.status_code == 302
    assert response.location == "/dashboard"


def test_session_cookie_is_httponly_and_samesite_lax(client: FlaskClient) -> None:
    response = client.get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_cell_api_url_is_the_configured_api_when_the_session_names_none(app: Flask) -> None:
    """A single sign-on log-in keeps no cell URL; the export's schema link still needs one."""
    with app.test_request_context():
        assert cell_api_url() == app.config["VIGIL_API_URL"]
        session[API_URL_KEY] = "http://cell-b.test"
        assert cell_api_url() == "http://cell-b.test"
