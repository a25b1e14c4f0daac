"""GET /dashboard: the monitor table, and what happens when the API misbehaves."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.frontend.fake_api import FakeApi, monitor
from tests.frontend.helpers import text


def minutes_ago(n: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=n)).isoformat()


def row(html: str, monitor_id: str) -> str:
    match = re.search(rf'<tr data-monitor-id="{monitor_id}">(.*?)</tr>', html, re.S)
    assert match, f"no row for monitor {monitor_id}"
    return match.group(1)


@pytest.fixture
def three_monitors(fake_api: FakeApi) -> None:
    fake_api.monitors = [
        monitor(
            "Shop",
            "up",
            monitor_id="m-up",
            url="https://shop.example/",
            latency_ms=1234.4,
            checked_at=minutes_ago(3),
        ),
        monitor(
            "Blog",
            "down",
            monitor_id="m-down",
            url="https://blog.example/health",
            latency_ms=None,
            checked_at=minutes_ago(1),
            error="connection refused",
        ),
        monitor("New", "pending", monitor_id="m-new", checked_at=None),
    ]


def test_logged_out_is_sent_to_login(client: FlaskClient, fake_api: FakeApi) -> None:
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.location == "/login"
    assert fake_api.seen == []


@pytest.mark.usefixtures("three_monitors")
def test_shows_every_monitor_with_status_latency_and_time(logged_in: FlaskClient) -> None:
    response = logged_in.get("/dashboard")
    html = text(response)
    assert response.status_code == 200

    up = row(html, "m-up")
    assert "Shop" in up
    assert 'data-status="up"' in up and ">Up</span>" in up
    assert "https://shop.example/" in up
    assert "1,234 ms" in up
    assert "3 minutes ago" in up

    down = row(html, "m-down")
    assert 'data-status="down"' in down and ">Down</span>" in down
    assert "connection refused" in down
    assert "1 minute ago" in down

    new = row(html, "m-new")
    assert 'data-status="pending"' in new and ">Pending</span>" in new
    assert "Never" in new


@pytest.mark.usefixtures("three_monitors")
def test_dashboard_in_dutch(logged_in: FlaskClient) -> None:
    html = text(logged_in.get("/dashboard?lang=nl"))
    assert '<html lang="nl">' in html
    up = row(html, "m-up")
    assert ">Online</span>" in up
    assert "1.234 ms" in up
    assert "3 minuten geleden" in up
    assert ">Onbereikbaar</span>" in row(html, "m-down")


@pytest.mark.usefixtures("three_monitors")
def test_asks_the_api_with_the_token_for_a_page_down_first(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    logged_in.get("/dashboard")
    [call] = fake_api.requests_to("/api/v1/monitors")
    assert call.query == {"limit": ["50"], "sort": ["status"]}
    assert call.headers["Authorization"].removeprefix("Bearer ") in fake_api.tokens


def test_error_text_only_when_down(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.monitors = [monitor("Flaky", "up", monitor_id="m1", error="old timeout")]
    assert "old timeout" not in text(logged_in.get("/dashboard"))


def test_empty_state(logged_in: FlaskClient) -> None:
    html = text(logged_in.get("/dashboard"))
    assert "You have no monitors yet." in html
    assert "<table" not in html


def test_links_the_next_page_when_the_list_goes_on(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    fake_api.monitors = [monitor("One")]
    fake_api.next = "cursor-2"
    html = text(logged_in.get("/dashboard"))
    assert "Showing the first" not in html
    assert 'rel="next" href="/dashboard?sort=status&amp;cursor=cursor-2"' in html


def test_page_refreshes_itself_with_a_same_origin_script(logged_in: FlaskClient) -> None:
    html = text(logged_in.get("/dashboard"))
    assert '<script src="/static/dashboard.js" defer></script>' in html
    assert 'data-refresh-url="/dashboard/data?sort=status"' in html
    assert "<script>" not in html  # nothing inline: the CSP forbids it
    assert '<noscript><meta http-equiv="refresh"' in html


def test_not_cached(logged_in: FlaskClient) -> None:
    assert logged_in.get("/dashboard").headers["Cache-Control"] == "no-store"


def test_api_401_clears_the_session_and_sends_to_login(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    fake_api.expire_tokens()
    response = logged_in.get("/dashboard")
    assert response.status_code == 302
    assert response.location == "/login"
    with logged_in.session_transaction() as session:
        assert "token" not in session
    assert "Your session has ended. Please log in again." in text(logged_in.get("/login"))


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (500, '{"detail": "Internal Server Error"}', "application/json"),
        (503, "<html>Bad gateway</html>", "text/html"),
        (200, "<html>not json</html>", "text/html"),
        (200, "[1, 2, 3]", "application/json"),
        (200, '{"items": "nope"}', "application/json"),
        (200, '{"items": [{"id": "x"}]}', "application/json"),
        (200, '{"items": [42], "next": null}', "application/json"),
        (404, '{"detail": "Not Found"}', "application/json"),
    ],
    ids=[
        "500",
        "503-html",
        "not-json",
        "list",
        "items-not-list",
        "monitor-no-name",
        "monitor-not-object",
        "404",
    ],
)
def test_api_failure_or_garbage_is_a_friendly_502(
    logged_in: FlaskClient, fake_api: FakeApi, status: int, body: str, content_type: str
) -> None:
    fake_api.answer_everything_with(status, body, content_type)
    response = logged_in.get("/dashboard")
    html = text(response)
    assert response.status_code == 502
    assert "The monitoring service is not answering" in html
    assert "Traceback" not in html
    with logged_in.session_transaction() as session:
        assert "token" in session  # a failing API is no reason to log the user out


@pytest.mark.parametrize(
    "broken",
    [
        {"checked_at": "yesterday"},
        {"checked_at": "2025-01-01T12:00:00"},  # no timezone
        {"latency_ms": "fast"},
        {"latency_ms": True},
        {"error": 42},
    ],
    ids=["date-not-iso", "date-naive", "latency-string", "latency-bool", "error-not-string"],
)
def test_wrong_shapes_in_a_state_are_a_friendly_502(
    logged_in: FlaskClient, fake_api: FakeApi, broken: dict[str, object]
) -> None:
    m = monitor("Broken", "down")
    m["tests"][0]["state"].update(broken)
    fake_api.monitors = [m]
    assert logged_in.get("/dashboard").status_code == 502


def test_api_refusing_connections_is_a_friendly_502(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    with fake_api.refusing_connections():
        response = logged_in.get("/dashboard")
    assert response.status_code == 502
    assert "The monitoring service is not answering" in text(response)


def test_api_too_slow_is_a_friendly_502(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.delay_s = 1.5  # the app fixture gives up after 1 s
    assert logged_in.get("/dashboard").status_code == 502


def test_error_page_is_translated(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.answer_everything_with(500, "{}")
    html = text(logged_in.get("/dashboard?lang=nl"))
    assert "De monitoringdienst reageert niet" in html
    assert 'hreflang="en"' in html  # the language switcher is there too


def test_kind_and_target_of_every_test(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    m = monitor("Stack", "up", monitor_id="m-stack")
    m["tests"].append({**m["tests"][0], "kind": "tcp", "config": {"url": "tcp://db:5432"}})
    fake_api.monitors = [m]
    cells = row(text(logged_in.get("/dashboard")), "m-stack")
    assert '<span class="kind-tag">http</span> https://example.com/' in cells
    assert '<span class="kind-tag">tcp</span> tcp://db:5432' in cells


def test_bulk_actions_need_the_csrf_token(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    response = logged_in.post("/dashboard/bulk", data={"action": "pause", "ids": ["1"]})
    assert response.status_code == 400
    assert fake_api.requests_to("/api/v1/monitors/bulk") == []


def test_an_etag_of_another_minute_or_language_is_not_passed_on(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from frontend import dashboard

    at = [datetime(2026, 12, 6, 23, 59, 59, 999_000, tzinfo=UTC)]

    class Clock(datetime):  # the view's clock, where the test wants it: not the wall's
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206
            return at[0]

    monkeypatch.setattr(dashboard, "datetime", Clock)
    with app.test_request_context("/dashboard/data"):
        api_etag = 'W/"' + "a" * 32 + '"'
        ours = dashboard._browser_etag(api_etag)
        assert ours is not None and dashboard._api_etag(ours) == api_etag
        at[0] += timedelta(milliseconds=2)  # the next minute (and day): texts may have changed
        assert dashboard._api_etag(ours) is None
        stale = ours[:-9] + "00000000" + '"'  # the mark of another minute, language or zone
        assert dashboard._api_etag(stale) is None
        assert dashboard._api_etag('W/"garbage"') is None
        assert dashboard._api_etag(None) is None
