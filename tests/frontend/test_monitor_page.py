"""The monitor page: uptime, the response-time chart by region, recent results."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.frontend.fake_api import FakeApi, monitor
from tests.frontend.helpers import text

STATS = {
    "test_ids": [7],
    "windows": [
        {"window": w, "checks": 10, "successes": 9, "failures": 1, "degraded": 0, "uptime": 0.9995}
        for w in ("24h", "7d", "30d", "90d")
    ],
    "latency": [{"window": "24h", "p50_ms": 42.0, "p95_ms": 80.5, "p99_ms": 1234.0}],
}
SERIES = {
    "test_id": 7,
    "range": "24h",
    "bucket_s": 900,
    "series": [
        {
            "region": None,
            "points": [
                {
                    "at": "2026-01-01T00:00:00+00:00",
                    "checks": 2,
                    "p50_ms": 40.0,
                    "p95_ms": 50.0,
                    "p99_ms": 60.0,
                }
            ],
        },
        {
            "region": "eu",
            "points": [
                {
                    "at": "2026-01-01T00:00:00+00:00",
                    "checks": 1,
                    "p50_ms": 40.0,
                    "p95_ms": 50.0,
                    "p99_ms": 60.0,
                },
                {
                    "at": "2026-01-01T00:15:00+00:00",
                    "checks": 1,
                    "p50_ms": 55.0,
                    "p95_ms": None,
                    "p99_ms": None,
                },
            ],
        },
        {
            "region": "us",
            "points": [
                {
                    "at": "2026-01-01T00:00:00+00:00",
                    "checks": 1,
                    "p50_ms": None,
                    "p95_ms": None,
                    "p99_ms": None,
                }
            ],
        },
    ],
}
RESULT = {
    "checked_at": "2026-01-01T00:00:00+00:00",
    "status": "down",
    "latency_ms": None,
    "http_status": 503,
    "error_kind": "http_status",
    "error": "HTTP 503",
    "region": "eu",
    "node": "n1",
}


def stored(fake_api: FakeApi) -> None:
    m = monitor("Shop <b>", "up", monitor_id="41")
    m["id"] = 41
    m["tests"][0]["id"] = 7
    fake_api.monitors.append(m)


def test_without_stats_and_series_the_page_says_not_available(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    stored(fake_api)
    response = logged_in.get("/monitors/41")
    assert response.status_code == 200
    html = text(response)
    assert "Shop &lt;b&gt;" in html
    assert "Uptime figures are not available" in html
    assert "Response-time history is not available" in html
    assert "No results yet." in html
    assert response.headers["Cache-Control"] == "no-store"


def test_stats_chart_and_results(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    stored(fake_api)
    fake_api.stats, fake_api.series, fake_api.results = STATS, SERIES, [RESULT]
    html = text(logged_in.get("/monitors/41?range=7d"))
    assert "99.95%" in html
    assert "1,234 ms" in html
    assert html.count("<polyline") == 2  # eu and us; the overall line is left out
    assert "http · eu" in html
    assert "HTTP 503" in html
    assert fake_api.requests_to("/api/v1/tests/7/series")[-1].query == {"range": ["7d"]}


def test_numbers_follow_the_locale(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    stored(fake_api)
    fake_api.stats = STATS
    html = text(logged_in.get("/monitors/41?lang=de"))
    assert "99,95" in html and "1.234 ms" in html


def test_an_unknown_range_falls_back_to_24h(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    stored(fake_api)
    fake_api.series = SERIES
    logged_in.get("/monitors/41?range=<script>")
    assert fake_api.requests_to("/api/v1/tests/7/series")[-1].query == {"range": ["24h"]}


def test_garbage_series_is_a_502(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    stored(fake_api)
    fake_api.series = {"series": ["x"]}
    assert logged_in.get("/monitors/41").status_code == 502
    fake_api.series = {"series": [{"region": "eu", "points": [{"at": "yesterday"}]}]}
    assert logged_in.get("/monitors/41").status_code == 502


def test_dashboard_links_to_the_monitor_page(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    stored(fake_api)
    html = text(logged_in.get("/dashboard"))
    assert 'href="/monitors/41"' in html and 'href="/monitors/new"' in html


def test_a_monitor_without_name_or_tests_is_a_502(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    fake_api.monitors.append({"id": 42, "name": None, "tests": None})
    assert logged_in.get("/monitors/42").status_code == 502


def test_http_timing_breakdown_of_recent_results(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    stored(fake_api)
    timed = {
        **RESULT,
        "status": "up",
        "latency_ms": 88.0,
        "http_status": 200,
        "error_kind": None,
        "error": None,
        "timings": {"dns_ms": 1.5, "connect_ms": 12.0, "tls_ms": 40.0, "ttfb_ms": 80.0},
    }
    fake_api.results = [timed]
    html = text(logged_in.get("/monitors/41"))
    assert "Timing of recent HTTP checks" in html
    for figure in ("1.5 ms", "12 ms", "40 ms", "80 ms", "88 ms"):
        assert figure in html


def test_no_timing_section_without_timings(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    stored(fake_api)
    fake_api.results = [RESULT]
    assert "Timing of recent HTTP checks" not in text(logged_in.get("/monitors/41"))


def test_each_kind_shows_its_target(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    stored(fake_api)
    fake_api.monitors[0]["tests"].append(
        {
            **fake_api.monitors[0]["tests"][0],
            "id": 8,
            "kind": "dns",
            "state": None,
            "config": {"url": "dns://9.9.9.9", "name": "example.com", "record_type": "AAAA"},
        }
    )
    html = text(logged_in.get("/monitors/41"))
    assert "example.com AAAA @ dns://9.9.9.9" in html
