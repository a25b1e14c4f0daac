"""Recurring maintenance windows: a small RRULE subset, expanded in the window's own zone.

Accepted (RFC 5545 names, `;`-separated): FREQ=WEEKLY with BYDAY=MO,TU,.. (default: the
first start's weekday) or FREQ=MONTHLY with BYMONTHDAY=1..28 or -1 (the last day; default:
the first start's day), an optional INTERVAL=1..52 and an optional COUNT=1..1000 or
UNTIL=YYYYMMDD. Occurrences keep the first start's wall-clock time in the zone, so a 09:00
window stays at 09:00 local across a DST change (its UTC instant moves by the offset); a
wall-clock time that does not exist that day (02:30 in a spring-forward night) is taken as
zoneinfo does, an hour later in summer time. The API and the page share this module: one
validator, one expansion.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FREQS = ("WEEKLY", "MONTHLY")
MAX_LENGTH = 200
MAX_COUNT = 1000
MAX_INTERVAL = 52
_SCAN_LIMIT = 5000  # periods scanned at most per expansion: bounded work whatever the rule


class RuleError(ValueError):
    """A rule the subset refuses; the message names the part at fault."""


@dataclass(frozen=True)
class Rule:
    """A parsed rule: weekdays (0 = Monday) or month days (-1 = last), every `interval`."""

    freq: str
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    monthdays: tuple[int, ...] = ()
    count: int | None = None
    until: date | None = None


def _int_in(part: str, value: str, low: int, high: int) -> int:
    if not value.lstrip("-").isdigit() or not low <= int(value) <= high:
        raise RuleError(f"{part} must be a whole number from {low} to {high}")
    return int(value)


def _monthday(value: str) -> int:
    day = _int_in("BYMONTHDAY", value, -1, 28)
    if day == 0:
        raise RuleError("BYMONTHDAY must be 1 to 28, or -1 for the last day")
    return day


def _until(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise RuleError("UNTIL must be a date as YYYYMMDD") from None


def _parts(text: str) -> dict[str, str]:
    if not text or len(text) > MAX_LENGTH:
        raise RuleError(f"the rule must be 1 to {MAX_LENGTH} characters")
    parts: dict[str, str] = {}
    for item in text.upper().removeprefix("RRULE:").split(";"):
        name, sep, value = item.partition("=")
        if not sep or not value:
            raise RuleError(f"{item or 'an empty part'} is not NAME=VALUE")
        if name in parts:
            raise RuleError(f"{name} is given twice")
        parts[name] = value
    return parts


def parse(text: str) -> Rule:
    """The rule `text` names, or RuleError saying which part the subset refuses."""
    parts = _parts(text)
    unknown = set(parts) - {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT", "UNTIL"}
    if unknown:
        raise RuleError(f"{sorted(unknown)[0]} is not supported")
    freq = parts.get("FREQ")
    if freq not in FREQS:
        raise RuleError("FREQ must be WEEKLY or MONTHLY")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RuleError("COUNT and UNTIL cannot both be given")
    if freq == "WEEKLY" and "BYMONTHDAY" in parts:
        raise RuleError("BYMONTHDAY needs FREQ=MONTHLY")
    if freq == "MONTHLY" and "BYDAY" in parts:
        raise RuleError("BYDAY needs FREQ=WEEKLY")
    weekdays: tuple[int, ...] = ()
    if "BYDAY" in parts:
        names = parts["BYDAY"].split(",")
        if any(n not in DAYS for n in names):
            raise RuleError("BYDAY must list days among MO,TU,WE,TH,FR,SA,SU")
        weekdays = tuple(sorted({DAYS.index(n) for n in names}))
    monthdays: tuple[int, ...] = ()
    if "BYMONTHDAY" in parts:
        monthdays = tuple(
            sorted(
                {_monthday(v) for v in parts["BYMONTHDAY"].split(",")},
                key=lambda d: d if d > 0 else 99,
            )
        )
    return Rule(
        freq=freq,
        interval=_int_in("INTERVAL", parts.get("INTERVAL", "1"), 1, MAX_INTERVAL),
        weekdays=weekdays,
        monthdays=monthdays,
        count=_int_in("COUNT", parts["COUNT"], 1, MAX_COUNT) if "COUNT" in parts else None,
        until=_until(parts["UNTIL"]) if "UNTIL" in parts else None,
    )


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or RuleError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuleError(f"{name!r} is not an IANA time zone such as Europe/Amsterdam") from None


def _week_days(rule: Rule, first: date, period: int) -> list[date]:
    monday = first - timedelta(days=first.weekday()) + timedelta(weeks=period * rule.interval)
    return [monday + timedelta(days=d) for d in (rule.weekdays or (first.weekday(),))]


def _month_days(rule: Rule, first: date, period: int) -> list[date]:
    months = first.year * 12 + first.month - 1 + period * rule.interval
    year, month = divmod(months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return [
        date(year, month + 1, last if d == -1 else d)
        for d in (rule.monthdays or (min(first.day, 28),))
    ]


def _local_days(rule: Rule, first: date) -> Iterator[date]:
    """Every day the rule falls on, from `first`'s period on, in order."""
    days_of = _week_days if rule.freq == "WEEKLY" else _month_days
    for period in range(_SCAN_LIMIT):
        yield from sorted(d for d in days_of(rule, first, period) if d >= first)


def occurrences(
    rule: Rule, first_start: datetime, duration: timedelta, tz: ZoneInfo, until: datetime
) -> list[tuple[datetime, datetime]]:
    """The windows (UTC start, UTC end) of the rule that start before `until`, in order."""
    local = first_start.astimezone(tz)
    windows: list[tuple[datetime, datetime]] = []
    for day in _local_days(rule, local.date()):
        if rule.until is not None and day > rule.until:
            break
        start = datetime.combine(day, local.time(), tzinfo=tz)
        start_utc = start.astimezone(UTC)
        if start_utc >= until or (rule.count is not None and len(windows) >= rule.count):
            break
        windows.append((start_utc, start_utc + duration))
    return windows


def around(
    rule: Rule,
    first_start: datetime,
    duration: timedelta,
    tz: ZoneInfo,
    since: datetime,
    until: datetime,
) -> list[tuple[datetime, datetime]]:
    """The windows overlapping [since, until): what a page or a bar of days shows."""
    return [w for w in occurrences(rule, first_start, duration, tz, until) if w[1] > since]


PHASES = ("scheduled", "in_progress", "completed")


def phase(starts_at: datetime, ends_at: datetime, now: datetime) -> str:
    """Where a window is in its lifecycle at `now`: computed from its times, never stored."""
    if now < starts_at:
        return "scheduled"
    return "in_progress" if now < ends_at else "completed"


def window_at(
    starts_at: datetime,
    ends_at: datetime,
    rule_text: str | None,
    zone_name: str | None,
    now: datetime,
) -> tuple[datetime, datetime]:
    """The window that matters at `now`: the one on now, else the next, else the last.

    A single window is itself; a recurring one is the occurrence of its rule (each lasting
    `ends_at - starts_at`) that is on at `now`, or the next to come once none is.
    """
    if rule_text is None or zone_name is None:
        return starts_at, ends_at
    duration = ends_at - starts_at
    windows = occurrences(
        parse(rule_text), starts_at, duration, zone(zone_name), now + duration + timedelta(days=400)
    )
    for start, end in windows:
        if end > now:
            return start, end
    return windows[-1] if windows else (starts_at, ends_at)
