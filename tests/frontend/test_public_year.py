"""A year of history on the public page (figures per period, SLA verdicts) and the settings
form's length of history and SLA target."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient

from tests.frontend.fake_api import FakeApi
from tests.frontend.helpers import text
from tests.frontend.test_public import page
from tests.frontend.test_resources import post


def _periods(uptime: float, response: float | None) -> dict[str, Any]:
    return {
        p: {"uptime": uptime, "response_ms": response, "checks": 1440}
        for p in ("24h", "7d", "30d", "90d", "365d")
    }


def year_page(**extra: Any) -> dict[str, Any]:
    bars = [
        {
            "monitor_id": 1,
            "first_day": "2025-01-03",
            "uptime": [1.0] * 365,
            "status": ["up"] * 365,
            "incident_ids": {},
            "periods": _periods(0.99973, 48.6),
            "sla": {"target": 99.99, "uptime": 0.99973, "met": False},
        },
        {
            "monitor_id": 2,
            "first_day": "2025-01-03",
            "uptime": [0.99] * 365,
            "status": ["up"] * 365,
            "incident_ids": {},
            "periods": _periods(0.98611, 1234.4),
            "sla": {"target": 98.5, "uptime": 0.98611, "met": True},
        },
    ]
    return page(history_days=365, sla_target=99.99, bars=bars, **extra)


def test_a_year_with_figures_and_slas(client: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.public_pages["acme"] = year_page()
    html = text(client.get("/s/acme"))
    assert html.count("<rect ") == 2 * 365
    assert "365 days ago" in html and "90 days ago" not in html
    for label in ("24 hours", "7 days", "30 days", "90 days", "365 days"):
        assert f"<dt>{label}</dt>" in html
    assert "<dd>99.973%" in html and "49 ms" in html and "1,234 ms" in html
    assert 'class="sla sla-missed">SLA 99.99\u00a0%: missed, 99.973% over 365 days' in html
    assert 'class="sla sla-met">SLA 98.5\u00a0%: met, 98.611% over 365 days' in html


def test_figures_in_the_visitors_language(client: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.public_pages["acme"] = year_page()
    html = text(client.get("/s/acme", headers={"Accept-Language": "de"}))
    assert "<dt>24 Stunden</dt>" in html and "vor 365 Tagen" in html
    assert "SLA 99,99\u00a0%: verfehlt" in html


def test_garbage_figures_are_left_out(client: FlaskClient, fake_api: FakeApi) -> None:
    bars = [
        {
            "monitor_id": 1,
            "first_day": "2026-01-01",
            "uptime": [1.0],
            "status": ["up"],
            "periods": {"24h": {"uptime": "all", "response_ms": True}, "7d": 3},
            "sla": {"target": "high", "met": True},
        },
        {
            "monitor_id": 2,
            "first_day": "2026-01-01",
            "uptime": [1.0],
            "status": ["up"],
            "periods": [1],
            "sla": {"target": 99.9, "uptime": None, "met": None},
        },
    ]
    fake_api.public_pages["odd"] = page(slug="odd", history_days="many", bars=bars)
    response = client.get("/s/odd")
    html = text(response)
    assert response.status_code == 200
    assert "<dt>24 hours</dt><dd>–</dd>" in html and "<dt>7 days</dt>" not in html
    assert "SLA high" not in html and "SLA 99.9\u00a0%: no data yet" in html
    assert "90 days ago" in html  # a length that is none of the API's: the default's words


def _sent(fake_api: FakeApi, method: str) -> list[dict[str, Any]]:
    return [
        json.loads(s.body)
        for s in fake_api.seen
        if s.path.startswith("/api/v1/status-pages") and s.method == method
    ]


def test_the_settings_form_sends_days_and_target(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    response = post(
        logged_in,
        "/status-pages",
        title="ACME",
        slug="acme",
        language="en",
        history_days="365",
        sla_target="99,95",
    )
    assert response.status_code == 302
    [created] = _sent(fake_api, "POST")
    assert (created["history_days"], created["sla_target"]) == (365, 99.95)
    pid = fake_api.collections["status-pages"][0]["id"]
    form = text(logged_in.get(f"/status-pages/{pid}"))
    assert '<option value="365" selected>' in form and 'value="99.95"' in form
    assert (
        post(
            logged_in,
            f"/status-pages/{pid}",
            title="ACME",
            slug="acme",
            language="en",
            history_days="90",
            sla_target="",
        ).status_code
        == 302
    )
    [changed] = _sent(fake_api, "PATCH")
    assert (changed["history_days"], changed["sla_target"]) == (90, None)


def test_the_settings_form_refuses_garbage(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    for field, value in (
        ("history_days", "45"),
        ("history_days", "forever"),
        ("sla_target", "lots"),
        ("sla_target", "nan"),
    ):
        response = post(
            logged_in, "/status-pages", title="A", slug="abc", language="en", **{field: value}
        )
        assert response.status_code == 422, (field, value)
        assert f'id="{field}-errors"' in text(response)
    assert _sent(fake_api, "POST") == []  # nothing reached the API
    # What the form cannot judge (the range) the API refuses, shown beside the field.
    fake_api.refuse_with = (
        422,
        [
            {
                "type": "less_than",
                "loc": ["body", "sla_target"],
                "msg": "Input should be less than 100",
            }
        ],
    )
    response = post(
        logged_in, "/status-pages", title="A", slug="abc", language="en", sla_target="100"
    )
    assert response.status_code == 422
    assert 'id="sla_target-errors"' in text(response)
    assert "Input should be less than 100" in text(response)


def test_a_monitors_own_sla_target(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.collections["status-pages"] = [
        {
            "id": 5,
            "slug": "acme",
            "title": "ACME",
            "language": "en",
            "groups": [],
            "logo_url": None,
            "history_days": 90,
            "sla_target": None,
        }
    ]
    assert (
        post(
            logged_in, "/status-pages/5/monitors", monitor_id="41", monitor_sla_target="99,5"
        ).status_code
        == 302
    )
    assert fake_api.collections["pages/5/monitors"][0]["sla_target"] == 99.5
    assert "m41 · SLA 99.5 %" in text(logged_in.get("/status-pages/5"))
    response = post(
        logged_in, "/status-pages/5/monitors", monitor_id="42", monitor_sla_target="most"
    )
    assert response.status_code == 422 and 'id="monitor_sla_target-errors"' in text(response)
    response = post(
        logged_in, "/status-pages/5/monitors", monitor_id="42", monitor_sla_target="100"
    )  # the API's range: shown above the form
    assert response.status_code == 422 and "Input should be less than 100" in text(response)
    assert [m["monitor_id"] for m in fake_api.collections["pages/5/monitors"]] == [41]
