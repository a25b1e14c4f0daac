"""Which partitions should exist, for an injected 'now', across month and day boundaries."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared import partitioning as parts


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def names(partitions: list[parts.Partition]) -> list[str]:
    return [p.name for p in partitions]


def test_months_ahead_cross_the_year() -> None:
    wanted = parts.wanted(parts.results_scheme(), at(2026, 12, 31, 23, 59, 59))
    assert names(wanted) == ["results_p2026_12", "results_p2027_01", "results_p2027_02"]
    assert wanted[0].end == at(2027, 1, 1) == wanted[1].start


def test_days_ahead_cross_the_end_of_february() -> None:
    wanted = parts.wanted(parts.WEEK, at(2028, 2, 28, 12))
    assert names(wanted) == [
        "results_week_p2028_02_28",
        "results_week_p2028_02_29",
        "results_week_p2028_03_01",
        "results_week_p2028_03_02",
    ]


def test_local_time_is_taken_as_utc() -> None:
    plus_two = at(2026, 12, 1, 1).astimezone(timezone(timedelta(hours=2)))
    assert parts.partition_at(parts.WEEK, plus_two).name == "results_week_p2026_12_01"


def test_week_keeps_seven_days_and_drops_older_days_whole() -> None:
    now = at(2026, 3, 9, 0, 0, 1)
    existing = [
        parts.partition_at(parts.WEEK, at(2026, 2, 27) + timedelta(days=i)).name for i in range(12)
    ]
    plan = parts.plan(parts.WEEK, existing, now)
    assert names(plan.drop) == [
        "results_week_p2026_02_27",
        "results_week_p2026_02_28",
        "results_week_p2026_03_01",
    ]
    # The partition of 2026-03-02 still holds the last second of the seven days.
    assert names(plan.create) == ["results_week_p2026_03_11", "results_week_p2026_03_12"]


def test_full_history_is_kept_forever_by_default() -> None:
    existing = ["results_p2001_01", "results_p2026_11"]
    assert parts.plan(parts.results_scheme(), existing, at(2030, 1, 1)).drop == []


def test_full_history_retention_drops_whole_months_only() -> None:
    scheme = parts.results_scheme(retention_days=31)
    existing = ["results_p2026_09", "results_p2026_10", "results_p2026_11"]
    plan = parts.plan(scheme, existing, at(2026, 12, 2))  # October ended 31 days ago
    assert names(plan.drop) == ["results_p2026_09", "results_p2026_10"]
    plan = parts.plan(scheme, existing, at(2026, 12, 1, 23, 59))
    assert names(plan.drop) == ["results_p2026_09"]


def test_rows_in_the_default_partition_get_a_partition_unless_past_retention() -> None:
    now = at(2026, 11, 26, 4)
    strays = [at(2026, 11, 20, 7), at(2026, 11, 1), at(2031, 5, 5)]
    plan = parts.plan(parts.WEEK, names(parts.wanted(parts.WEEK, now)), now, strays)
    assert names(plan.create) == ["results_week_p2026_11_20", "results_week_p2031_05_05"]
    plan = parts.plan(parts.results_scheme(), [], now, [at(2019, 7, 4)])
    assert "results_p2019_07" in names(plan.create)


@pytest.mark.parametrize(
    "name",
    [
        "results_default",
        "results_p2026_13",
        "results_p2026_1",
        "results_week_p2026_11_26",
        "results_p2026_11_extra",
        "other_p2026_11",
        "results_p0000_00",
        "",
    ],
)
def test_foreign_names_are_not_taken_for_partitions(name: str) -> None:
    assert parts.parse_name(parts.results_scheme(), name) is None


def test_week_names_round_trip() -> None:
    p = parts.partition_at(parts.WEEK, at(2026, 2, 3, 4, 5))
    assert parts.parse_name(parts.WEEK, p.name) == p
    assert parts.parse_name(parts.WEEK, "results_week_p2026_02_30") is None
