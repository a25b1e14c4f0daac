"""The maintenance RRULE subset: parsing, expansion in the window's zone, across DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared import recurrence as r

pytestmark = pytest.mark.unit
AMS = r.zone("Europe/Amsterdam")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_weekly_keeps_local_time_across_spring_forward() -> None:
    # Mondays 09:00 Amsterdam: 08:00 UTC in winter, 07:00 UTC once DST starts (29 March).
    first = datetime(2026, 3, 16, 9, 0, tzinfo=AMS)
    got = r.occurrences(
        r.parse("FREQ=WEEKLY;BYDAY=MO"), first, timedelta(hours=2), AMS, utc(2026, 4, 7)
    )
    assert [s for s, _ in got] == [
        utc(2026, 3, 16, 8),
        utc(2026, 3, 23, 8),
        utc(2026, 3, 30, 7),
        utc(2026, 4, 6, 7),
    ]
    assert all(e - s == timedelta(hours=2) for s, e in got)


def test_weekly_keeps_local_time_across_fall_back() -> None:
    first = datetime(2026, 10, 18, 23, 30, tzinfo=AMS)  # Sundays 23:30, DST ends 25 Oct
    got = r.occurrences(
        r.parse("FREQ=WEEKLY;BYDAY=SU"), first, timedelta(minutes=60), AMS, utc(2026, 11, 2)
    )
    assert [s for s, _ in got] == [
        utc(2026, 10, 18, 21, 30),
        utc(2026, 10, 25, 22, 30),
        utc(2026, 11, 1, 22, 30),
    ]


def test_a_time_missing_in_the_spring_forward_night_comes_an_hour_later() -> None:
    first = datetime(2026, 3, 22, 2, 30, tzinfo=AMS)  # Sundays 02:30; 29 March has no 02:30
    got = r.occurrences(r.parse("FREQ=WEEKLY"), first, timedelta(minutes=30), AMS, utc(2026, 4, 1))
    assert [s for s, _ in got] == [utc(2026, 3, 22, 1, 30), utc(2026, 3, 29, 1, 30)]
    assert got[1][0].astimezone(AMS).hour == 3  # 03:30 summer time, the same instant


def test_several_weekdays_interval_and_count() -> None:
    first = datetime(2026, 1, 5, 22, 0, tzinfo=UTC)  # a Monday
    rule = r.parse("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE,MO;COUNT=5")
    got = [
        s.date().isoformat()
        for s, _ in r.occurrences(rule, first, timedelta(hours=1), r.zone("UTC"), utc(2027, 1, 1))
    ]
    assert got == ["2026-01-05", "2026-01-07", "2026-01-19", "2026-01-21", "2026-02-02"]


def test_monthly_last_day_and_until() -> None:
    first = datetime(2026, 1, 31, 20, 0, tzinfo=AMS)
    rule = r.parse("FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20260430")
    got = [
        s.astimezone(AMS).date().isoformat()
        for s, _ in r.occurrences(rule, first, timedelta(hours=1), AMS, utc(2027, 1, 1))
    ]
    assert got == ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]


def test_around_keeps_windows_overlapping_the_span() -> None:
    first = datetime(2026, 3, 2, 9, 0, tzinfo=AMS)
    got = r.around(
        r.parse("FREQ=WEEKLY"),
        first,
        timedelta(hours=3),
        AMS,
        utc(2026, 3, 9, 10),
        utc(2026, 3, 17),
    )
    assert [s for s, _ in got] == [utc(2026, 3, 9, 8), utc(2026, 3, 16, 8)]


def test_phase_is_computed_from_the_times() -> None:
    start, end = utc(2026, 5, 1, 10), utc(2026, 5, 1, 12)
    assert r.phase(start, end, utc(2026, 5, 1, 9, 59)) == "scheduled"
    assert r.phase(start, end, start) == "in_progress"
    assert r.phase(start, end, end) == "completed"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("", "characters"),
        ("FREQ=DAILY", "FREQ"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY"),
        ("FREQ=WEEKLY;BYHOUR=3", "BYHOUR"),
        ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL"),
        ("FREQ=MONTHLY;BYMONTHDAY=31", "BYMONTHDAY"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY"),
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20270101", "COUNT"),
        ("FREQ=WEEKLY;UNTIL=2027", "UNTIL"),
        ("FREQ=WEEKLY;FREQ=WEEKLY", "twice"),
        ("FREQ=WEEKLY;;", "NAME=VALUE"),
        ("FREQ=WEEKLY;BYMONTHDAY=2", "BYMONTHDAY"),
        ("FREQ=MONTHLY;BYDAY=MO", "BYDAY"),
        ("FREQ=WEEKLY;COUNT=abc", "COUNT"),
        ("X" * 201, "characters"),
    ],
)
def test_garbage_rules_are_refused_naming_the_part(text: str, names: str) -> None:
    with pytest.raises(r.RuleError, match=names):
        r.parse(text)


@pytest.mark.parametrize("name", ["Mars/Olympus", "../etc/passwd", "", "Europe/"])
def test_unknown_zones_are_refused(name: str) -> None:
    with pytest.raises(r.RuleError, match="IANA"):
        r.zone(name)


def test_window_at_picks_the_occurrence_on_now_or_the_next() -> None:
    start, end = datetime(2026, 3, 23, 9, tzinfo=AMS), datetime(2026, 3, 23, 11, tzinfo=AMS)
    rule = "FREQ=WEEKLY;BYDAY=MO"
    on = r.window_at(start, end, rule, "Europe/Amsterdam", utc(2026, 3, 30, 8))
    assert on == (utc(2026, 3, 30, 7), utc(2026, 3, 30, 9))  # summer time: 07:00 UTC
    assert r.phase(*on, utc(2026, 3, 30, 8)) == "in_progress"
    after = r.window_at(start, end, rule, "Europe/Amsterdam", utc(2026, 3, 30, 9))
    assert after[0] == utc(2026, 4, 6, 7) and r.phase(*after, utc(2026, 3, 30, 9)) == "scheduled"
    last = r.window_at(start, end, rule + ";COUNT=2", "Europe/Amsterdam", utc(2026, 5, 1))
    assert last == (utc(2026, 3, 30, 7), utc(2026, 3, 30, 9))
    assert r.phase(*last, utc(2026, 5, 1)) == "completed"
    assert r.window_at(start, end, None, None, utc(2027, 1, 1)) == (start, end)
