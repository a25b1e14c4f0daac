"""Locale-aware latencies and times."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from frontend.formatting import absolute, ago, latency, status_label

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(params=["en", "nl"])
def lang(app: Flask, request: pytest.FixtureRequest) -> Iterator[str]:
    with app.test_request_context(f"/?lang={request.param}"):
        app.preprocess_request()  # applies ?lang= like a real request
        yield request.param


EXPECTED = {
    "en": {
        "latency": ["1,234 ms", "5.3 ms", "—"],
        "ago": ["42 seconds ago", "3 minutes ago", "just now", "Never"],
        "label": ["Up", "Down", "Degraded", "Pending", "Misconfigured", "Unknown"],
    },
    "nl": {
        "latency": ["1.234 ms", "5,3 ms", "—"],
        "ago": ["42 seconden geleden", "3 minuten geleden", "zojuist", "Nooit"],
        "label": [
            "Online",
            "Onbereikbaar",
            "Verstoord",
            "In afwachting",
            "Verkeerd ingesteld",
            "Onbekend",
        ],
    },
}


def test_latency(lang: str) -> None:
    assert [latency(1234.4), latency(5.27), latency(None)] == EXPECTED[lang]["latency"]


def test_ago(lang: str) -> None:
    got = [
        ago(NOW - timedelta(seconds=42), NOW),
        ago(NOW - timedelta(minutes=3), NOW),
        ago(NOW + timedelta(seconds=2), NOW),  # executor clock a little ahead
        ago(None, NOW),
    ]
    assert got == EXPECTED[lang]["ago"]


def test_status_labels(lang: str) -> None:
    labels = [
        status_label(s) for s in ("up", "down", "degraded", "pending", "misconfigured", "exploded")
    ]
    assert labels == EXPECTED[lang]["label"]


def test_absolute_names_the_zone(lang: str) -> None:
    text = absolute(NOW)
    assert "2025" in text and text.endswith("UTC")
    assert absolute(None) == ""
