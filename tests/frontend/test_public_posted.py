"""The public page's manual incidents (posted by the team) and maintenance phases."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.frontend.fake_api import FakeApi
from tests.frontend.helpers import text
from tests.frontend.test_public import page

pytestmark = pytest.mark.unit
POSTED = {
    "id": 9,
    "title": "Payments <fail>",
    "status": "identified",
    "started_at": "2026-01-02T07:00:00+00:00",
    "resolved_at": None,
    "affected": [{"monitor_id": 2, "impact": "major_outage"}, "junk"],
    "updates": [
        {
            "status": "investigating",
            "message": "Looking",
            "created_at": "2026-01-02T07:00:00+00:00",
        },
        {"status": "identified", "message": "Bank down", "created_at": "2026-01-02T07:30:00+00:00"},
    ],
}
WINDOW = {
    "title": "Patch day",
    "starts_at": "2026-01-05T08:00:00+00:00",
    "ends_at": "2026-01-05T10:00:00+00:00",
    "monitor_id": None,
    "recurrence": "FREQ=WEEKLY;BYDAY=MO",
    "phase": "scheduled",
}


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            ("Reported by the team", "Identified", "API: Major outage", "Scheduled", "recurring"),
        ),
        (
            "nl",
            (
                "Gemeld door het team",
                "Oorzaak gevonden",
                "API: Grote storing",
                "Gepland",
                "terugkerend",
            ),
        ),
        (
            "de",
            (
                "Vom Team gemeldet",
                "Ursache gefunden",
                "API: Schwerer Ausfall",
                "Geplant",
                "wiederkehrend",
            ),
        ),
    ],
)
def test_a_manual_incident_and_a_recurring_window_are_shown_escaped(
    client: FlaskClient, fake_api: FakeApi, language: str, words: tuple[str, ...]
) -> None:
    fake_api.public_pages["acme"] = page(manual_incidents=[POSTED, 7], maintenance=[WINDOW])
    html = text(client.get("/s/acme", headers={"Accept-Language": language}))
    assert "Payments &lt;fail&gt;" in html and "Bank down" in html
    for word in words:
        assert word in html, word
    assert html.count('class="incident manual-incident"') == 1


def test_without_manual_incidents_no_section(client: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.public_pages["acme"] = page()
    assert "manual-incident" not in text(client.get("/s/acme"))
