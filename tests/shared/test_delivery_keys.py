"""Every delivery key the notifier and the API build parses back to what it was built from."""

from __future__ import annotations

import pytest

from shared import delivery_keys as keys

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("event_key", "parsed"),
    [
        (keys.test(12, "ab12"), keys.Parsed("test")),
        (keys.cert("cell_a", 42, "2027-01-31"), keys.Parsed("cert_expiring", test_id=42)),
        (keys.incident("a", 7, "opened"), keys.Parsed("incident_opened", incident_id=7)),
        (keys.incident("a", 7, "resolved"), keys.Parsed("incident_resolved", incident_id=7)),
        (
            keys.incident("a", 7, "changed", "degraded", "7f3a-9/x"),
            keys.Parsed("incident_changed", incident_id=7),
        ),
        (
            keys.incident("a", 7, "changed", "down", None),
            keys.Parsed("incident_changed", incident_id=7),
        ),
        (
            keys.incident("b-2", 9, "reminder", message_id="3"),
            keys.Parsed("incident_reminder", incident_id=9),
        ),
    ],
)
def test_built_keys_parse_back(event_key: str, parsed: keys.Parsed) -> None:
    assert keys.parse(keys.for_channel(event_key, 12)) == parsed


@pytest.mark.parametrize(
    "key",
    [
        "",
        "incident/a/7/opened",
        "incident/A/7/opened/1",
        "cert/a/x/2027-01-31/1",
        "test/1/XYZ/1",
        "incident/a/7/exploded/1",
        keys.for_channel("incident/a/7/reminder/1", 2)[:20],
    ],
)
def test_anything_else_is_other(key: str) -> None:
    assert keys.parse(key) == keys.OTHER


def test_a_long_key_is_cut_to_the_ledger_column() -> None:
    assert len(keys.for_channel("k" * 500, 5)) == keys.MAX_KEY


def test_the_like_pattern_escapes_wildcards() -> None:
    pattern = keys.any_channel_like("incident/cell_a/7/reminder/2")
    assert pattern == r"incident/cell\_a/7/reminder/2/%"


def test_page_event_keys_name_the_event_and_its_occurrence() -> None:
    assert keys.page("a", "manual_opened", 7, 9) == "manual/a/7/opened"
    assert keys.page("a", "manual_updated", 7, 9) == "manual/a/7/updated/9"
    assert keys.page("a", "manual_resolved", 7, 11) == "manual/a/7/resolved"
    assert (
        keys.page("a", "maintenance_started", 3, None, 1_800_000_000_000)
        == "maintenance/a/3/1800000000000/started"
    )
