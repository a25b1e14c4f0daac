"""Turning the API's monitor list into dashboard rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from frontend.api_client import BadResponse
from frontend.monitors import parse_monitor, parse_page
from tests.frontend.fake_api import monitor


def two_regions(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    m = monitor("Multi", "down")
    extra = {**m["tests"][0], "id": "t2", "region": "eu", "state": {**m["tests"][0]["state"]}}
    m["tests"][0]["state"].update(first)
    extra["state"].update(second)
    m["tests"].append(extra)
    return m


def test_row_from_a_monitor() -> None:
    row = parse_monitor(monitor("Shop", "up", monitor_id="m1", url="https://a.example/"))
    assert (row.id, row.name, row.status, row.url) == ("m1", "Shop", "up", "https://a.example/")
    assert row.latency_ms == 123.4
    assert row.checked_at == datetime(2025, 1, 1, 12, tzinfo=UTC)
    assert row.error is None


def test_integer_ids_and_latencies_are_accepted() -> None:
    m = monitor("Shop", latency_ms=7, monitor_id="x")
    m["id"] = 17
    row = parse_monitor(m)
    assert (row.id, row.latency_ms) == ("17", 7.0)


def test_zulu_timestamps_are_accepted() -> None:
    row = parse_monitor(monitor("Shop", checked_at="2025-01-01T12:00:00Z"))
    assert row.checked_at == datetime(2025, 1, 1, 12, tzinfo=UTC)


def test_unchecked_monitor_has_no_latency_or_time() -> None:
    row = parse_monitor(monitor("New", "pending", checked_at=None))
    assert (row.latency_ms, row.checked_at, row.error) == (None, None, None)


def test_monitor_without_tests() -> None:
    m = monitor("Bare", "pending")
    m["tests"] = []
    row = parse_monitor(m)
    assert (row.url, row.checked_at) == (None, None)


def test_newest_result_across_regions_wins() -> None:
    m = two_regions(
        {"checked_at": "2025-01-01T12:00:00+00:00", "latency_ms": 10.0, "error": None},
        {"checked_at": "2025-01-01T12:00:30+00:00", "latency_ms": 99.0, "error": "timed out"},
    )
    row = parse_monitor(m)
    assert row.latency_ms == 99.0
    assert row.error == "timed out"


def test_error_falls_back_to_http_status_then_kind() -> None:
    m = monitor("Shop", "down", http_status=503)
    m["tests"][0]["state"].update(error=None, error_kind="http_status")
    assert parse_monitor(m).error == "HTTP 503"
    m["tests"][0]["state"].update(http_status=None, error_kind="dns")
    assert parse_monitor(m).error == "dns"


def test_unknown_status_is_kept_apart_not_refused() -> None:
    """A newer API may add a status; the dashboard shows it as unknown rather than fail."""
    assert parse_monitor(monitor("Shop", "maintenance")).status == "unknown"


def test_page_knows_when_more_monitors_exist() -> None:
    assert parse_page({"items": [], "next": "abc"}).truncated
    assert not parse_page({"items": [], "next": None}).truncated


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"items": None},
        {"items": [], "next": 5},
        {"items": [{"id": "x", "name": "n", "status": "up"}]},  # no tests
        {"items": [{"id": True, "name": "n", "status": "up", "tests": []}]},
        {"items": [{"id": "x", "name": 3, "status": "up", "tests": []}]},
        {"items": [{"id": "x", "name": "n", "status": "up", "tests": ["t"]}]},
        {"items": [{"id": "x", "name": "n", "status": "up", "tests": [{"config": None}]}]},
        {"items": [{"id": "x", "name": "n", "status": "up", "tests": [{"config": {"url": 1}}]}]},
    ],
)
def test_wrong_shapes_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(BadResponse):
        parse_page(body)


def test_a_misconfigured_monitor_shows_its_reason() -> None:
    row = parse_monitor(monitor("Db", "misconfigured", error="url: must start with tcp://"))
    assert (row.status, row.error) == ("misconfigured", "url: must start with tcp://")
