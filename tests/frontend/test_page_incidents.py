"""The owner's manual incidents of a status page: the form, its updates, its garbage (shown
beside the field, nothing sent or stored), in the owner's language."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from tests.frontend.fake_api import FakeApi
from tests.frontend.helpers import csrf_token, text

PAGE = "/status-pages/5/incidents"
STORE = "pages/5/manual-incidents"


@pytest.fixture
def page(fake_api: FakeApi) -> None:
    fake_api.collections["status-pages"] = [
        {"id": 5, "slug": "acme", "title": "ACME", "language": "en", "groups": []}
    ]
    fake_api.collections["pages/5/monitors"] = [
        {"monitor_id": 41, "name": "Checkout", "group": None, "position": 0},
        {"monitor_id": 42, "name": "API", "group": None, "position": 1},
    ]


def post(client: FlaskClient, path: str, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={**fields, "csrf_token": csrf_token(client, "/dashboard")})


def test_post_update_and_resolve(logged_in: FlaskClient, fake_api: FakeApi, page: None) -> None:
    html = text(logged_in.get(PAGE))
    assert "No incident posted yet." in html and 'for="impact_41">Checkout' in html
    answer = post(
        logged_in,
        PAGE,
        title="Bank down",
        message="Cards fail.",
        status="identified",
        impact_41="major_outage",
        impact_42="",
    )
    assert answer.status_code == 302, text(answer)
    sent = json.loads(fake_api.requests_to("/api/v1/status-pages/5/manual-incidents")[-1].body)
    assert sent == {
        "title": "Bank down",
        "message": "Cards fail.",
        "status": "identified",
        "affected": [{"monitor_id": 41, "impact": "major_outage"}],
    }
    [incident] = fake_api.collections[STORE]
    updates = f"{PAGE}/{incident['id']}/updates"
    assert post(logged_in, updates, status="resolved", message="Fixed.").status_code == 302
    html = text(logged_in.get(PAGE))
    assert 'Bank down <span class="muted">(Resolved)</span>' in html and "Fixed." in html
    assert "Post the update" not in html  # nothing follows resolved


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"impact_41": "", "impact_42": ""}, "affected", "Choose the impact on at least one"),
        ({"title": ""}, "title", "This field is required."),
        ({"message": ""}, "message", "This field is required."),
        ({"status": "resolved"}, "status", "Choose one of the offered states."),
        ({"title": "x" * 201}, "title", "at most 200 characters"),  # the API's words
        ({"message": "bell\x07"}, "message", "String should match pattern"),
        ({"impact_41": "meh"}, "affected", "Input should be"),
    ],
)
def test_garbage_is_shown_beside_its_field_and_nothing_is_stored(
    logged_in: FlaskClient, fake_api: FakeApi, page: None, fields: dict, field: str, words: str
) -> None:
    good = {
        "title": "Bank down",
        "message": "Cards fail.",
        "status": "investigating",
        "impact_41": "degraded",
    }
    answer = post(logged_in, PAGE, **{**good, **fields})
    html = text(answer)
    assert answer.status_code == 422, html
    errors = html.split(f'id="{field}-errors"', 1)[1].split("</ul>", 1)[0]
    assert words in errors, errors
    assert fake_api.collections.get(STORE, []) == []


def test_a_bad_update_is_shown_on_its_incident(
    logged_in: FlaskClient, fake_api: FakeApi, page: None
) -> None:
    post(
        logged_in,
        PAGE,
        title="Bank down",
        message="Cards fail.",
        status="investigating",
        impact_41="degraded",
    )
    [incident] = fake_api.collections[STORE]
    answer = post(logged_in, f"{PAGE}/{incident['id']}/updates", status="lost", message="")
    html = text(answer)
    assert answer.status_code == 422
    assert "Choose one of the offered states." in html and "This field is required." in html
    assert len(incident["updates"]) == 1


def test_in_german(logged_in: FlaskClient, page: None) -> None:
    html = text(logged_in.get(f"{PAGE}?lang=de"))
    assert "Störungen von ACME" in html and "Betroffene Monitore" in html
    assert "Nicht betroffen" in html and "Störung veröffentlichen" in html
