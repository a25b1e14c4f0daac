"""The public page's announcements and its way to the subscription form."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.frontend.fake_api import FakeApi
from tests.frontend.helpers import text
from tests.frontend.test_public import page


def test_a_live_announcement_is_a_banner_escaped(client: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.public_pages["acme"] = page(
        announcements=[
            {
                "message": "Bank <b>slow</b>",
                "starts_at": "2026-01-02T08:00:00+00:00",
                "ends_at": "2026-01-02T18:00:00+00:00",
            },
            {"message": 7},
            "junk",
        ]
    )
    html = text(client.get("/s/acme"))
    assert html.count('class="card announcement"') == 1
    assert "Bank &lt;b&gt;slow&lt;/b&gt;" in html and "Until Jan 2, 2026" in html


def test_no_announcements_no_banner_and_a_subscribe_link(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    fake_api.public_pages["acme"] = page()
    html = text(client.get("/s/acme"))
    assert "announcement" not in html
    assert 'href="/s/acme/subscribe"' in html


def test_the_subscribe_form_in_the_page_s_language(client: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.public_pages["acme"] = page(language="de")
    response = client.get("/s/acme/subscribe", headers={"Accept-Language": "de"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = text(response)
    assert "Updates abonnieren" in html and 'name="csrf_token"' in html
    assert 'value="Backend"' in html  # the page's groups to choose from
    assert '<meta name="robots" content="noindex">' in html
    assert client.get("/s/nope/subscribe").status_code == 404


def test_a_named_incident_shows_its_public_title_and_message(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    named = page()
    named["incidents"][0].update(title="Payments <delayed>", message="Our bank is slow.")
    fake_api.public_pages["acme"] = named
    html = text(client.get("/s/acme"))
    assert "<h3>Payments &lt;delayed&gt;:" in html and "Our bank is slow." in html
