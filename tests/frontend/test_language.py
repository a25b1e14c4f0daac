"""Which language a page is in: ?lang= > session > Accept-Language > English."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.frontend.helpers import login, text


def lang_of(html: str) -> str:
    start = html.index('<html lang="') + len('<html lang="')
    return html[start : html.index('"', start)]


def test_english_by_default(client: FlaskClient) -> None:
    html = text(client.get("/login"))
    assert lang_of(html) == "en"
    assert "Log in to Vigil" in html


@pytest.mark.parametrize(
    "header", ["nl", "nl-NL", "nl-BE,nl;q=0.9,en;q=0.8", "pt-BR,pt;q=0.9,nl;q=0.5"]
)
def test_dutch_from_accept_language(client: FlaskClient, header: str) -> None:
    html = text(client.get("/login", headers={"Accept-Language": header}))
    assert lang_of(html) == "nl"
    assert "Inloggen bij Vigil" in html


def test_unsupported_accept_language_falls_back_to_english(client: FlaskClient) -> None:
    html = text(client.get("/login", headers={"Accept-Language": "pt-BR,ja;q=0.5"}))
    assert lang_of(html) == "en"


@pytest.mark.parametrize(
    ("header", "language", "title"),
    [
        ("de-DE,de;q=0.9", "de", "Bei Vigil anmelden"),
        ("fr-CH", "fr", "Se connecter à Vigil"),
        ("es-MX,es;q=0.8", "es", "Iniciar sesión en Vigil"),
    ],
)
def test_german_french_and_spanish_from_the_browser(
    client: FlaskClient, header: str, language: str, title: str
) -> None:
    html = text(client.get("/login", headers={"Accept-Language": header}))
    assert lang_of(html) == language and title in html


def test_lang_parameter_wins_and_sticks_in_the_session(client: FlaskClient) -> None:
    english = {"Accept-Language": "en-GB,en;q=0.9"}
    assert lang_of(text(client.get("/login?lang=nl", headers=english))) == "nl"
    with client.session_transaction() as session:
        assert session["lang"] == "nl"
    # No parameter now: the session's choice still beats the browser's.
    assert lang_of(text(client.get("/login", headers=english))) == "nl"
    assert lang_of(text(client.get("/login?lang=en"))) == "en"


def test_session_beats_accept_language_across_pages(logged_in: FlaskClient) -> None:
    logged_in.get("/login?lang=nl")
    html = text(logged_in.get("/dashboard", headers={"Accept-Language": "en"}))
    assert lang_of(html) == "nl"
    assert "Je hebt nog geen monitors." in html


@pytest.mark.parametrize("value", ["xx", "", "NL-nl-x", "../../etc"])
def test_unknown_lang_parameter_is_ignored(client: FlaskClient, value: str) -> None:
    html = text(client.get(f"/login?lang={value}", headers={"Accept-Language": "nl"}))
    assert lang_of(html) == "nl"  # Accept-Language still decides
    with client.session_transaction() as session:
        assert "lang" not in session


@pytest.mark.parametrize(
    ("path", "needs_login"), [("/login", False), ("/dashboard", True), ("/no-such-page", False)]
)
def test_switcher_on_every_page(client: FlaskClient, path: str, needs_login: bool) -> None:
    if needs_login:
        login(client)
    html = text(client.get(path))
    assert f'href="{path}?lang=nl" lang="nl" hreflang="nl"' in html
    assert f'href="{path}?lang=en" lang="en" hreflang="en"' in html
    assert ">Nederlands</a>" in html and ">English</a>" in html


def test_switcher_marks_the_current_language(client: FlaskClient) -> None:
    html = text(client.get("/login?lang=nl"))
    assert 'hreflang="nl" aria-current="true"' in html
    assert 'hreflang="en" aria-current' not in html
