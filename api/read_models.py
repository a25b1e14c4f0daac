"""A monitor's or a test's stats, response-time series and 90 daily bars, built from
`api.queries` (week table and daily rollups, never the full history).

Windows of 7, 30 and 90 days are UTC calendar days, today included: the rollups hold one
row per test and day, and today's row is kept current by the processor as results arrive.
The 24-hour window is exact, from the week table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from api import queries
from api.queries import DayBar, LatencyPoint
from api.read_schemas import (
    BarOut,
    CountsOut,
    DayStatus,
    LatencyOut,
    PointOut,
    Range,
    SeriesOut,
    SeriesPageOut,
    StatsOut,
)

DAY = timedelta(days=1)
BAR_DAYS = 90
SEVERITY: dict[DayStatus, int] = {"none": 0, "up": 1, "degraded": 2, "down": 3}
# The windows latency percentiles are given for, and how far back each reaches.
LATENCY_SPANS: tuple[tuple[Literal["24h", "7d"], timedelta], ...] = (("24h", DAY), ("7d", 7 * DAY))
# Buckets of the series: ranges inside the week table are bucketed from raw results, longer
# ones are one point a day from the rollups.
BUCKETS = {"24h": timedelta(minutes=15), "7d": timedelta(hours=2), "30d": DAY, "90d": DAY}
SPANS = {"24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY, "90d": 90 * DAY}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _counts(window: Any, checks: int, failures: int, degraded: int) -> CountsOut:
    return CountsOut(
        window=window,
        checks=checks,
        successes=checks - failures,
        failures=failures,
        degraded=degraded,
        uptime=None if not checks else (checks - failures) / checks,
    )


def _summed(window: str, bars: Sequence[DayBar]) -> CountsOut:
    return _counts(
        window,
        sum(b.checks for b in bars),
        sum(b.failures for b in bars),
        sum(b.degraded for b in bars),
    )


async def stats(
    conn: AsyncConnection, test_ids: Sequence[int], last_day: queries.Counts, now: datetime
) -> StatsOut:
    """Counts over 24 h (given: a test's or a monitor's) and 7, 30, 90 days; latency
    percentiles over 24 h and 7 days."""
    bars = await queries.daily_bars(conn, test_ids, now.date(), BAR_DAYS)
    windows = [_counts("24h", last_day.checks, last_day.failures, last_day.degraded)]
    windows += [_summed(f"{n}d", bars[-n:]) for n in (7, 30, 90)]
    latency = []
    for window, span in LATENCY_SPANS:
        p50, p95, p99 = await queries.latency_percentiles(conn, test_ids, now - span, now)
        latency.append(LatencyOut(window=window, p50_ms=p50, p95_ms=p95, p99_ms=p99))
    return StatsOut(test_ids=list(test_ids), windows=windows, latency=latency)


def _points(points: Sequence[LatencyPoint]) -> list[PointOut]:
    return [
        PointOut(at=p.at, checks=p.checks, p50_ms=p.p50_ms, p95_ms=p.p95_ms, p99_ms=p.p99_ms)
        for p in points
    ]


def aligned_start(now: datetime, span: timedelta, bucket: timedelta) -> datetime:
    """The start of the range, on the bucket grid: the same buckets from one call to the
    next, so a chart does not shift as time passes."""
    return _EPOCH + ((now - span - _EPOCH) // bucket) * bucket


async def series(
    conn: AsyncConnection, test_id: int, range_: Range, now: datetime
) -> SeriesPageOut:
    bucket = BUCKETS[range_]
    if bucket < DAY:
        start = aligned_start(now, SPANS[range_], bucket)
        overall = await queries.response_times(conn, test_id, start, now, bucket)
        regional = await queries.regional_response_times(conn, test_id, start, now, bucket)
        found = [SeriesOut(region=None, points=_points(overall))]
        if len(regional) > 1:  # one region: its series is the overall one
            found += [SeriesOut(region=r, points=_points(p)) for r, p in regional.items()]
    else:
        found = [SeriesOut(region=None, points=await _daily(conn, test_id, range_, now))]
    return SeriesPageOut(
        test_id=test_id, range=range_, bucket_s=int(bucket.total_seconds()), series=found
    )


async def _daily(
    conn: AsyncConnection, test_id: int, range_: Range, now: datetime
) -> list[PointOut]:
    today = now.date()
    first = today - timedelta(days=SPANS[range_].days - 1)
    out = []
    for row in await queries.daily_latency(conn, test_id, first, today):
        point = PointOut(
            at=_midnight(row.day),
            checks=row.checks,
            p50_ms=row.p50_ms,
            p95_ms=row.p95_ms,
            p99_ms=row.p99_ms,
        )
        if row.p50_ms is None and today - row.day < timedelta(days=7):
            # A day not sealed yet (today, or just closed): its percentiles from raw results.
            start = _midnight(row.day)
            fresh = await queries.response_times(conn, test_id, start, min(start + DAY, now), DAY)
            if fresh:
                point = point.model_copy(
                    update={
                        "p50_ms": fresh[0].p50_ms,
                        "p95_ms": fresh[0].p95_ms,
                        "p99_ms": fresh[0].p99_ms,
                    }
                )
        out.append(point)
    return out


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def severity(incident: Any) -> Literal["down", "degraded"]:
    """How bad an incident was: its state while open; once resolved, "down" if a region's
    last failing result was DOWN, else "degraded" (the row keeps its last evidence)."""
    if incident.state == "down":
        return "down"
    if incident.state == "degraded":
        return "degraded"
    evidence = incident.evidence or {}
    lasts = [
        items[-1].get("status")
        for items in evidence.values()
        if isinstance(items, list) and items and isinstance(items[-1], dict)
    ]
    return "down" if "down" in lasts or not lasts else "degraded"


def day_marks(
    days: Sequence[date], checks: Sequence[int], incidents: Sequence[Any], now: datetime
) -> list[tuple[DayStatus, list[int]]]:
    """For each day, the worst incident of that day and the ids of the day's incidents."""
    by_day: dict[date, list[Any]] = {}
    first = days[0] if days else now.date()
    for incident in incidents:
        day = max(incident.started_at.astimezone(UTC).date(), first)
        last = (incident.resolved_at or now).astimezone(UTC).date()
        while day <= last:
            by_day.setdefault(day, []).append(incident)
            day += DAY
    marks: list[tuple[DayStatus, list[int]]] = []
    for day, checked in zip(days, checks, strict=True):
        found = by_day.get(day)
        if not found:
            marks.append(("up" if checked else "none", []))
            continue
        found.sort(key=lambda i: i.id)
        status = max((severity(i) for i in found), key=SEVERITY.__getitem__)
        marks.append((status, [i.id for i in found]))
    return marks


def bars_out(bars: Sequence[DayBar], incidents: Sequence[Any], now: datetime) -> list[BarOut]:
    return [
        BarOut(
            day=bar.day,
            checks=bar.checks,
            failures=bar.failures,
            degraded=bar.degraded,
            uptime=bar.uptime,
            status=status,
            incident_ids=ids,
        )
        for bar, (status, ids) in zip(
            bars,
            day_marks([b.day for b in bars], [b.checks for b in bars], incidents, now),
            strict=True,
        )
    ]


async def monitor_bars(
    conn: AsyncConnection, monitor_id: int, test_ids: Sequence[int], now: datetime
) -> list[BarOut]:
    bars = await queries.daily_bars(conn, test_ids, now.date(), BAR_DAYS)
    start = _midnight(bars[0].day)
    incidents = await queries.incidents_between(
        conn, start, now + DAY, monitor_ids=[monitor_id], limit=1000
    )
    return bars_out(bars, incidents, now)
