"""Times shown and entered in the user's time zone: chosen in a form, else the browser's."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from frontend import zones
from tests.frontend.fake_api import FakeApi
from tests.frontend.helpers import csrf_token, text

WINDOW = {
    "id": 9,
    "title": "DB",
    "starts_at": "2026-07-01T08:00:00+00:00",
    "ends_at": "2026-07-01T09:30:00+00:00",
    "monitor_id": None,
    "status_page_id": 5,
}


def plan(client: FlaskClient, **fields: str):  # type: ignore[no-untyped-def]
    form = {
        "title": "DB",
        "starts_at": "2026-07-01T10:00",
        "ends_at": "2026-07-01T11:30",
        "target": "page:5",
        "csrf_token": csrf_token(client, "/dashboard"),
        **fields,
    }
    return client.post("/maintenance", data=form)


def sent(fake_api: FakeApi) -> dict:  # type: ignore[type-arg]
    return json.loads(fake_api.requests_to("/api/v1/maintenance-windows")[-1].body)


def test_times_are_entered_in_the_chosen_zone_and_sent_in_utc(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    assert plan(logged_in, zone="Europe/Amsterdam").status_code == 302
    body = sent(fake_api)  # 10:00 in Amsterdam in summer is 08:00 UTC
    assert (body["starts_at"], body["ends_at"]) == (
        "2026-07-01T08:00:00+00:00",
        "2026-07-01T09:30:00+00:00",
    )
    html = text(logged_in.get("/maintenance"))  # the choice sticks and is shown in
    for shown in ("10:00:00\u202fAM Europe/Amsterdam", "11:30:00\u202fAM Europe/Amsterdam"):
        assert shown in html
    assert "<option selected>Europe/Amsterdam</option>" in html
    assert 'datetime="2026-07-01T08:00:00+00:00"' in html  # machines read UTC


def test_winter_time_has_its_own_offset(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    plan(
        logged_in, zone="America/New_York", starts_at="2026-01-15T09:00", ends_at="2026-01-15T10:00"
    )
    assert sent(fake_api)["starts_at"] == "2026-01-15T14:00:00+00:00"


def test_the_browsers_zone_is_the_default(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.collections["maintenance-windows"] = [dict(WINDOW)]
    assert "8:00:00\u202fAM UTC" in text(logged_in.get("/maintenance"))
    logged_in.set_cookie("vigil_tz", "Asia%2FTokyo")  # as static/timezone.js writes it
    html = text(logged_in.get("/maintenance?lang=de"))
    assert "17:00:00 Asia/Tokyo" in html and "<option selected>Asia/Tokyo</option>" in html
    plan(logged_in)  # the form's zone field left out: the browser's zone
    assert sent(fake_api)["starts_at"] == "2026-07-01T01:00:00+00:00"


def test_a_chosen_zone_beats_the_browsers(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    logged_in.set_cookie("vigil_tz", "Asia%2FTokyo")
    plan(logged_in, zone="Europe/Lisbon")
    fake_api.collections["maintenance-windows"] = [dict(WINDOW)]
    assert "9:00:00\u202fAM Europe/Lisbon" in text(logged_in.get("/maintenance"))


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "Mars/Olympus",
        "../../etc/passwd",
        "US/Eastern",
        "utc",
        "Europe/Amsterdam\x00",
        "Ε" * 300,
    ],
)
def test_garbage_zone_is_refused_beside_the_field(
    logged_in: FlaskClient, fake_api: FakeApi, garbage: str
) -> None:
    response = plan(logged_in, zone=garbage)
    assert response.status_code == 422 and 'id="zone-errors"' in text(response)
    assert not fake_api.requests_to("/api/v1/maintenance-windows") or all(
        s.method == "GET" for s in fake_api.requests_to("/api/v1/maintenance-windows")
    )


@pytest.mark.parametrize("garbage", ["Mars%2FOlympus", "", "%ZZ", "Europe/Amsterdam; x=1"])
def test_garbage_browser_zone_falls_back_to_utc(
    logged_in: FlaskClient, fake_api: FakeApi, garbage: str
) -> None:
    fake_api.collections["maintenance-windows"] = [dict(WINDOW)]
    logged_in.set_cookie("vigil_tz", garbage)
    assert "8:00:00\u202fAM UTC" in text(logged_in.get("/maintenance"))


@pytest.mark.parametrize("garbage", ["2026-07-01T10:00+02:00", "tomorrow", "2026-13-01T10:00"])
def test_garbage_times_are_refused_beside_the_field(logged_in: FlaskClient, garbage: str) -> None:
    response = plan(logged_in, zone="Europe/Amsterdam", starts_at=garbage)
    assert response.status_code == 422 and 'id="starts_at-errors"' in text(response)


def test_offered_zones_are_places_and_utc() -> None:
    names = zones.names()
    assert names[0] == "UTC" and "Europe/Amsterdam" in names and "America/Sao_Paulo" in names
    assert "US/Eastern" not in names and not any(n.startswith("Etc/") for n in names)


def test_every_page_loads_the_zone_script(logged_in: FlaskClient) -> None:
    for path in ("/maintenance", "/dashboard", "/incidents"):
        assert '<script src="/static/timezone.js" defer></script>' in text(logged_in.get(path))
