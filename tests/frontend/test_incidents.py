"""Incidents with their updates and acknowledgement, on their own pages and the monitor's."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.frontend.fake_api import FakeApi, monitor
from tests.frontend.helpers import csrf_token, text


def incident(iid: int = 5, resolved: str | None = None) -> dict[str, Any]:
    return {
        "id": iid,
        "test_id": 7,
        "monitor_id": 41,
        "state": "down",
        "cause": "HTTP 503",
        "started_at": "2026-01-02T08:00:00+00:00",
        "confirmed_at": None,
        "resolved_at": resolved,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "evidence": {},
        "updates": [
            {
                "id": 1,
                "message": "Looking <into> it",
                "author_id": 1,
                "created_at": "2026-01-02T08:05:00+00:00",
            }
        ],
    }


def test_without_incidents_endpoint_the_pages_say_not_available(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    assert "not available" in text(logged_in.get("/incidents"))
    m = monitor("Shop", monitor_id="41")
    m["id"], m["tests"][0]["id"] = 41, 7
    fake_api.monitors.append(m)
    assert "Incidents are not available" in text(logged_in.get("/monitors/41"))
    assert logged_in.get("/incidents/5").status_code == 404


def test_list_and_detail(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.incidents = [incident(5), incident(4, "2026-01-01T09:00:00+00:00")]
    html = text(logged_in.get("/incidents"))
    assert 'href="/incidents/5"' in html and "Ongoing" in html and "Resolved" in html
    html = text(logged_in.get("/incidents/5?lang=es"))
    assert "Looking &lt;into&gt; it" in html and "Actualizaciones" in html


def test_monitor_page_lists_its_incidents(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    m = monitor("Shop", monitor_id="41")
    m["id"], m["tests"][0]["id"] = 41, 7
    fake_api.monitors.append(m)
    fake_api.incidents = [incident(5)]
    assert 'href="/incidents/5"' in text(logged_in.get("/monitors/41"))
    assert fake_api.requests_to("/api/v1/incidents")[-1].query["monitor_id"] == ["41"]


def test_post_an_update(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.incidents = [incident(5)]
    token = csrf_token(logged_in, "/incidents/5")
    response = logged_in.post("/incidents/5", data={"message": " Fixed. ", "csrf_token": token})
    assert response.headers["Location"] == "/incidents/5"
    assert fake_api.incidents[0]["updates"][-1]["message"] == "Fixed."


def test_update_errors(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.incidents = [incident(5)]
    token = csrf_token(logged_in, "/incidents/5")
    response = logged_in.post("/incidents/5", data={"message": "  ", "csrf_token": token})
    assert response.status_code == 422 and 'id="message-errors"' in text(response)
    fake_api.refuse_with = (
        422,
        [
            {
                "type": "value_error",
                "loc": ["body", "message"],
                "msg": "Value error, must not contain control characters",
            }
        ],
    )
    response = logged_in.post("/incidents/5", data={"message": "x", "csrf_token": token})
    assert "must not contain control characters" in text(response)
    fake_api.refuse_with = (403, "viewers cannot change anything")
    response = logged_in.post("/incidents/5", data={"message": "x", "csrf_token": token})
    assert "viewers cannot change anything" in text(response)


def test_acknowledge_an_incident(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.incidents = [incident(5)]
    html = text(logged_in.get("/incidents/5"))
    assert 'action="/incidents/5/acknowledge"' in html and "Acknowledged by" not in html
    fake_api.collections["members"] = [
        {
            "id": 1,
            "email": "ops@example.com",
            "role": "owner",
            "created_at": "2026-01-01T00:00:00+00:00",
        }
    ]
    token = csrf_token(logged_in, "/incidents/5?lang=nl")
    response = logged_in.post("/incidents/5/acknowledge", data={"csrf_token": token})
    assert response.headers["Location"] == "/incidents/5"
    assert fake_api.requests_to("/api/v1/incidents/5/acknowledge")[-1].method == "POST"
    html = text(logged_in.get("/incidents/5"))
    assert "Incident bevestigd." in html  # the flash, in the chosen language
    assert "Bevestigd door ops@example.com" in html and "/acknowledge" not in html
    assert "Bevestigd" in text(logged_in.get("/incidents"))  # the list's badge


def test_acknowledged_by_someone_the_team_list_does_not_name(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    fake_api.incidents = [
        {**incident(5), "acknowledged_at": "2026-01-02T08:07:00+00:00", "acknowledged_by": 9}
    ]
    html = text(logged_in.get("/incidents/5"))
    assert "Acknowledged by team member 9" in html
    fake_api.incidents[0]["acknowledged_at"] = "garbage"  # not a time: not acknowledged
    assert "Acknowledged by" not in text(logged_in.get("/incidents/5"))


def test_no_acknowledge_button_on_a_resolved_incident(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    fake_api.incidents = [incident(4, "2026-01-01T09:00:00+00:00")]
    assert "/acknowledge" not in text(logged_in.get("/incidents/4"))


def test_acknowledge_errors_are_flashed(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.incidents = [incident(5)]
    token = csrf_token(logged_in, "/incidents/5")
    fake_api.refuse_with = (403, "viewers cannot change anything")
    logged_in.post("/incidents/5/acknowledge", data={"csrf_token": token})
    assert "viewers cannot change anything" in text(logged_in.get("/incidents/5"))
    assert fake_api.incidents[0]["acknowledged_at"] is None
    assert (
        logged_in.post("/incidents/99/acknowledge", data={"csrf_token": token}).status_code == 404
    )
    assert logged_in.post("/incidents/5/acknowledge").status_code == 400  # no CSRF token
    fake_api.answer_everything_with(500, "boom")
    assert logged_in.post("/incidents/5/acknowledge", data={"csrf_token": token}).status_code == 502
