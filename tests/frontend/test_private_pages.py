"""Password-protected status pages in the frontend: the visitor's form, the cookie, the
owner's settings."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from tests.frontend.fake_api import FakeApi
from tests.frontend.helpers import csrf_token, text
from tests.frontend.test_public import page

COOKIE = "vigil_page_acme"


def _private(fake_api: FakeApi) -> None:
    fake_api.public_pages["acme"] = page(visibility="password")
    fake_api.page_passwords["acme"] = "open sesame"


def _give(client: FlaskClient, password: str, lang: str = "en"):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/s/acme")
    return client.post(
        "/s/acme/access",
        data={"password": password, "csrf_token": token},
        headers={"Accept-Language": lang},
    )


def test_a_visitor_without_access_gets_the_password_form(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    _private(fake_api)
    response = client.get("/s/acme")
    html = text(response)
    assert response.status_code == 401
    assert "ACME status" not in html and "Website" not in html
    assert 'type="password"' in html and 'name="csrf_token"' in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "This status page is private"),
        ("de", "Diese Statusseite ist privat"),
        ("es", "Esta página de estado es privada"),
        ("fr", "Cette page de statut est privée"),
        ("nl", "Deze statuspagina is privé"),
    ],
)
def test_the_password_form_in_five_languages(
    client: FlaskClient, fake_api: FakeApi, lang: str, words: str
) -> None:
    _private(fake_api)
    html = text(client.get("/s/acme", headers={"Accept-Language": lang}))
    assert words in html


def test_the_right_password_sets_a_cookie_and_shows_the_page(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    _private(fake_api)
    client.get("/s/acme")  # the locked answer is cached: the cookie must get past it
    response = _give(client, "open sesame")
    assert response.status_code == 303 and response.headers["Location"] == "/s/acme"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=access-acme") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    shown = client.get("/s/acme")
    assert shown.status_code == 200 and "ACME status" in text(shown)
    assert '<meta name="robots" content="noindex, nofollow">' in text(shown)
    assert shown.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert shown.headers["Cache-Control"] == "private, no-store"
    forwarded = [s for s in fake_api.seen if s.path == "/api/v1/public/status-pages/acme"]
    assert forwarded[-1].headers.get("X-Vigil-Page-Access") == "access-acme"


def test_a_tampered_cookie_gets_the_form_again(client: FlaskClient, fake_api: FakeApi) -> None:
    _private(fake_api)
    client.set_cookie(COOKIE, "access-acme-but-forged")
    response = client.get("/s/acme")
    assert response.status_code == 401 and "ACME status" not in text(response)


@pytest.mark.parametrize(
    ("password", "status", "words"),
    [
        ("guess", 401, "That password is not right."),
        ("", 422, "Enter the page&#39;s password."),
        ("x" * 300, 422, "Enter the page&#39;s password."),
    ],
)
def test_a_wrong_or_garbage_password_is_refused_without_a_cookie(
    client: FlaskClient, fake_api: FakeApi, password: str, status: int, words: str
) -> None:
    _private(fake_api)
    response = _give(client, password)
    assert response.status_code == status
    assert words in text(response)
    assert "Set-Cookie" not in response.headers or COOKIE not in response.headers["Set-Cookie"]
    assert client.get("/s/acme").status_code == 401


def test_too_many_attempts_say_when_to_try_again(client: FlaskClient, fake_api: FakeApi) -> None:
    _private(fake_api)
    fake_api.access_retry_after = 42
    response = _give(client, "open sesame", "de")
    assert response.status_code == 429
    assert "42" in text(response) and COOKIE not in response.headers.get("Set-Cookie", "")


def test_a_public_page_is_not_marked_noindex(client: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.public_pages["acme"] = page()
    response = client.get("/s/acme")
    assert response.status_code == 200 and "X-Robots-Tag" not in response.headers
    assert 'name="robots"' not in text(response)
    assert response.headers["Cache-Control"].startswith("public")


def test_subscribing_to_a_locked_page_asks_for_the_password_first(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    _private(fake_api)
    response = client.get("/s/acme/subscribe")
    assert response.status_code == 302 and response.headers["Location"] == "/s/acme"


def _post(client: FlaskClient, path: str, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={**fields, "csrf_token": csrf_token(client, "/dashboard")})


def _sent(fake_api: FakeApi, path: str, method: str) -> dict:  # type: ignore[type-arg]
    return json.loads([s for s in fake_api.seen if s.path == path and s.method == method][-1].body)


def test_the_owner_makes_a_page_private_and_sees_its_links(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    response = _post(
        logged_in,
        "/status-pages",
        title="ACME",
        slug="acme",
        language="en",
        groups="",
        logo_url="",
        visibility="password",
        password=" with spaces ",
    )
    assert response.status_code == 302
    body = _sent(fake_api, "/api/v1/status-pages", "POST")
    assert body["visibility"] == "password" and body["password"] == " with spaces "
    pid = fake_api.collections["status-pages"][-1]["id"]
    fake_api.collections["status-pages"][-1].update(has_password=True, feed_token="tok123")
    html = text(logged_in.get(f"/status-pages/{pid}"))
    assert "feed.rss?token=tok123" in html and "badge.svg?token=tok123" in html
    assert 'value="password" checked' in html
    assert "with spaces" not in html  # a password is never shown again
    _post(
        logged_in,
        f"/status-pages/{pid}",
        title="ACME",
        slug="acme",
        language="en",
        visibility="password",
        rotate_feed_token="1",
    )
    change = _sent(fake_api, f"/api/v1/status-pages/{pid}", "PATCH")
    assert change["rotate_feed_token"] is True and "password" not in change


def test_the_api_s_refusal_of_a_password_shows_beside_the_field(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    fake_api.refuse_with = (
        422,
        [
            {
                "loc": ["body", "password"],
                "type": "value_error",
                "msg": "Value error, a password-protected page needs a password",
            }
        ],
    )
    response = _post(
        logged_in,
        "/status-pages",
        title="ACME",
        slug="acme",
        language="en",
        visibility="password",
        password="",
    )
    assert response.status_code == 422
    html = text(response)
    assert 'id="password-errors"' in html and "needs a password" in html


def test_a_public_page_sends_no_visibility(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    _post(logged_in, "/status-pages", title="ACME", slug="acme", language="en", visibility="public")
    body = _sent(fake_api, "/api/v1/status-pages", "POST")
    assert "visibility" not in body and "password" not in body


def _email_page(fake_api: FakeApi) -> None:
    fake_api.public_pages["acme"] = page(visibility="email_domain")
    fake_api.sign_in_domains["acme"] = ["example.com"]


def _form_post(client: FlaskClient, path: str, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={**fields, "csrf_token": csrf_token(client, "/s/acme")})


def test_an_email_domain_page_asks_for_an_address_and_mails_a_link(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    _email_page(fake_api)
    locked = client.get("/s/acme")
    assert locked.status_code == 401
    assert 'type="email"' in text(locked) and 'type="password"' not in text(locked)
    stranger = _form_post(client, "/s/acme/sign-in", email="eve@elsewhere.test")
    assert stranger.status_code == 422
    assert "Only addresses of the domains this page allows" in text(stranger)
    sent = _form_post(client, "/s/acme/sign-in", email="ann@example.com")
    assert sent.status_code == 202 and "We sent a link to ann@example.com" in text(sent)
    assert COOKIE not in sent.headers.get("Set-Cookie", "")
    forwarded = [s for s in fake_api.seen if s.path.endswith("/sign-in")]
    assert json.loads(forwarded[-1].body) == {"email": "ann@example.com"}


def test_the_mailed_link_opens_the_page_once_by_its_button(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    _email_page(fake_api)
    shown = client.get("/s/acme/sign-in?token=link-acme")
    assert shown.status_code == 200 and 'value="link-acme"' in text(shown)
    assert not any(s.path.endswith("/confirm") for s in fake_api.seen)  # fetching spends nothing
    opened = _form_post(client, "/s/acme/sign-in/confirm", token="link-acme")
    assert opened.status_code == 303 and COOKIE in opened.headers["Set-Cookie"]
    assert "ACME status" in text(client.get("/s/acme"))
    client.delete_cookie(COOKIE)
    again = _form_post(client, "/s/acme/sign-in/confirm", token="link-acme")
    assert again.status_code == 400 and "used already or has expired" in text(again)
    assert client.get("/s/acme").status_code == 401


@pytest.mark.parametrize("link", ["", "x" * 201])
def test_a_garbage_link_is_a_404(client: FlaskClient, fake_api: FakeApi, link: str) -> None:
    _email_page(fake_api)
    assert client.get(f"/s/acme/sign-in?token={link}").status_code == 404
    assert _form_post(client, "/s/acme/sign-in/confirm", token=link).status_code == 404


def test_the_owner_limits_a_page_to_email_domains(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    response = _post(
        logged_in,
        "/status-pages",
        title="ACME",
        slug="acme",
        language="en",
        visibility="email_domain",
        allowed_domains=" example.com, example.org ,",
    )
    assert response.status_code == 302
    body = _sent(fake_api, "/api/v1/status-pages", "POST")
    assert body["visibility"] == "email_domain"
    assert body["allowed_domains"] == ["example.com", "example.org"]
    assert "password" not in body
