"""The read queries the API needs over results, rollups and incidents (SQLAlchemy Core, async).

Each is served from the week table (`results_week`, daily partitions, last seven days) or
from the daily rollups, never from the full history, so it stays fast however long the
history grows (see docs/PERFORMANCE.md, "Queries"). Callers pass ids they have already
scoped to the caller's account; these functions do not check ownership.

Uptime counts DEGRADED results as up (the site answered), DOWN results as down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    Select,
    Subquery,
    and_,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.messages import Status
from shared.tables import daily_rollups, incidents, results_week, test_state, tests

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Counts:
    checks: int
    failures: int
    degraded: int

    @property
    def uptime(self) -> float | None:
        """Share of checks that were not DOWN; None without checks."""
        return None if not self.checks else (self.checks - self.failures) / self.checks


@dataclass(frozen=True)
class LatencyPoint:
    at: datetime  # start of the bucket
    checks: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


@dataclass(frozen=True)
class DayBar:
    day: date
    checks: int
    failures: int
    degraded: int

    @property
    def uptime(self) -> float | None:
        return None if not self.checks else (self.checks - self.failures) / self.checks


def _daily(test_ids: Sequence[int], first: date, last: date) -> Subquery:
    """Rows of counts per test and day in [first, last]: the rollups, and the counts of each
    test's current day, which the processor keeps in test_state until the day changes
    (result_processor/state.py). A (test, day) may have one row of each: sum them."""
    r, s = daily_rollups.c, test_state.c
    ids = list(test_ids)
    return union_all(
        select(
            r.test_id,
            r.day,
            r.checks,
            r.failures,
            r.degraded,
            r.latency_count,
            r.latency_sum,
            r.p50_ms,
            r.p95_ms,
            r.p99_ms,
        ).where(r.test_id.in_(ids), r.day >= first, r.day <= last),
        select(
            s.test_id,
            s.day,
            s.day_checks,
            s.day_failures,
            s.day_degraded,
            s.day_latency_count,
            s.day_latency_sum,
            null(),
            null(),
            null(),
        ).where(s.test_id.in_(ids), s.day >= first, s.day <= last, s.day_checks > 0),
    ).subquery("daily")


def _monitor_tests(monitor_id: int) -> Select[Any]:
    return select(tests.c.id).where(tests.c.monitor_id == monitor_id)


def _counts_query(test_filter: Any, now: datetime) -> Select[int, int, int]:
    w = results_week.c
    return select(
        func.count(),
        func.count().filter(w.status == int(Status.DOWN)),
        func.count().filter(w.status == int(Status.DEGRADED)),
    ).where(test_filter, w.checked_at > now - DAY, w.checked_at <= now)


async def counts_24h(conn: AsyncConnection, test_id: int, now: datetime) -> Counts:
    """Checks, failures and degraded results of a test over the 24 hours before `now`."""
    row = (await conn.execute(_counts_query(results_week.c.test_id == test_id, now))).one()
    return Counts(*row)


async def monitor_counts_24h(conn: AsyncConnection, monitor_id: int, now: datetime) -> Counts:
    """The same over every test of a monitor."""
    query = _counts_query(results_week.c.test_id.in_(_monitor_tests(monitor_id)), now)
    return Counts(*(await conn.execute(query)).one())


async def last_results(conn: AsyncConnection, test_id: int, limit: int = 50) -> list[Any]:
    """The newest `limit` results of a test, newest first (rows of `results_week`)."""
    w = results_week.c
    query = (
        select(
            w.checked_at,
            w.status,
            w.latency_ms,
            w.http_status,
            w.error_kind,
            w.error,
            w.region,
            w.node,
        )
        .where(w.test_id == test_id)
        .order_by(w.checked_at.desc())
        .limit(limit)
    )
    return list((await conn.execute(query)).all())


async def response_times(
    conn: AsyncConnection, test_id: int, start: datetime, end: datetime, bucket: timedelta
) -> list[LatencyPoint]:
    """Latency percentiles of a test per bucket, from the week table: ranges of the last
    seven days (use `daily_latency` beyond)."""
    w = results_week.c
    slot = func.date_bin(literal(bucket), w.checked_at, literal(start)).label("slot")
    fractions = literal([0.5, 0.95, 0.99], ARRAY(Float))
    q = func.percentile_cont(fractions).within_group(w.latency_ms)
    query = (
        select(slot, func.count(), q)
        .where(w.test_id == test_id, w.checked_at >= start, w.checked_at < end)
        .group_by(slot)
        .order_by(slot)
    )
    out = []
    for at, checks, quantiles in (await conn.execute(query)).all():
        p = quantiles or [None, None, None]
        out.append(LatencyPoint(at, checks, p[0], p[1], p[2]))
    return out


async def daily_latency(conn: AsyncConnection, test_id: int, first: date, last: date) -> list[Any]:
    """Daily latency percentiles of a test from the rollups (closed days; today's come
    from `response_times`)."""
    d = _daily([test_id], first, last).c
    query = (
        select(
            d.day,
            func.sum(d.checks).label("checks"),
            func.max(d.p50_ms).label("p50_ms"),
            func.max(d.p95_ms).label("p95_ms"),
            func.max(d.p99_ms).label("p99_ms"),
            (func.sum(d.latency_sum) / func.nullif(func.sum(d.latency_count), 0)).label("mean_ms"),
        )
        .group_by(d.day)
        .order_by(d.day)
    )
    return list((await conn.execute(query)).all())


async def daily_bars(
    conn: AsyncConnection, test_ids: Sequence[int], today: date, days: int = 90
) -> list[DayBar]:
    """One bar a day for the last `days` days up to `today`, summed over the tests given
    (one test, or a monitor's). Days without checks are bars with zero checks."""
    first = today - timedelta(days=days - 1)
    d = _daily(test_ids, first, today).c
    query = select(d.day, func.sum(d.checks), func.sum(d.failures), func.sum(d.degraded)).group_by(
        d.day
    )
    found = {row[0]: row for row in (await conn.execute(query)).all()}
    bars = []
    for i in range(days):
        day = first + timedelta(days=i)
        row = found.get(day)
        bars.append(DayBar(day, *(int(v) for v in row[1:])) if row else DayBar(day, 0, 0, 0))
    return bars


async def incidents_between(
    conn: AsyncConnection,
    start: datetime,
    end: datetime,
    *,
    monitor_ids: Sequence[int] = (),
    test_ids: Sequence[int] = (),
    confirmed_only: bool = True,
    limit: int = 100,
) -> list[Any]:
    """Incidents of the monitors or tests given that overlap [start, end), newest first."""
    i = incidents.c
    scope = or_(i.monitor_id.in_(list(monitor_ids)), i.test_id.in_(list(test_ids)))
    query = (
        select(
            i.id,
            i.test_id,
            i.monitor_id,
            i.state,
            i.cause,
            i.started_at,
            i.confirmed_at,
            i.resolved_at,
            i.evidence,
            i.public_title,
            i.public_message,
        )
        .where(scope, i.started_at < end, or_(i.resolved_at.is_(None), i.resolved_at >= start))
        .order_by(i.started_at.desc())
        .limit(limit)
    )
    if confirmed_only:
        query = query.where(and_(i.confirmed_at.is_not(None)))
    return list((await conn.execute(query)).all())


async def latency_percentiles(
    conn: AsyncConnection, test_ids: Sequence[int], start: datetime, end: datetime
) -> tuple[float | None, float | None, float | None]:
    """p50, p95 and p99 latency over the tests given in [start, end), from the week table."""
    w = results_week.c
    fractions = literal([0.5, 0.95, 0.99], ARRAY(Float))
    query = select(func.percentile_cont(fractions).within_group(w.latency_ms)).where(
        w.test_id.in_(list(test_ids)), w.checked_at >= start, w.checked_at < end
    )
    found = await conn.scalar(query)
    return (found[0], found[1], found[2]) if found else (None, None, None)


async def regional_response_times(
    conn: AsyncConnection, test_id: int, start: datetime, end: datetime, bucket: timedelta
) -> dict[str, list[LatencyPoint]]:
    """`response_times` with one series per region the test was checked from."""
    w = results_week.c
    slot = func.date_bin(literal(bucket), w.checked_at, literal(start)).label("slot")
    fractions = literal([0.5, 0.95, 0.99], ARRAY(Float))
    q = func.percentile_cont(fractions).within_group(w.latency_ms)
    query = (
        select(w.region, slot, func.count(), q)
        .where(w.test_id == test_id, w.checked_at >= start, w.checked_at < end)
        .group_by(w.region, slot)
        .order_by(w.region, slot)
    )
    out: dict[str, list[LatencyPoint]] = {}
    for region, at, checks, quantiles in (await conn.execute(query)).all():
        p = quantiles or [None, None, None]
        out.setdefault(region, []).append(LatencyPoint(at, checks, p[0], p[1], p[2]))
    return out


# checks, failures, degraded, and the latency count and sum of a day
DayCounts = tuple[int, int, int, int, float]
_DAY_SUMS = {
    "c": "checks",
    "f": "failures",
    "g": "degraded",
    "lc": "latency_count",
    "ls": "latency_sum",
}


async def monitors_daily_arrays(
    conn: AsyncConnection, monitor_ids: Sequence[int], today: date, days: int = 90
) -> tuple[date, list[Any]]:
    """The first day, and one row per monitor with rollup rows: (monitor_id, day indexes,
    checks, failures, degraded, latency count, latency sum), all but the first as arrays.
    `spread_days` lays them out."""
    first = today - timedelta(days=days - 1)
    test_ids = list(
        (
            await conn.execute(select(tests.c.id).where(tests.c.monitor_id.in_(list(monitor_ids))))
        ).scalars()
    )
    # The test ids as a list, not a join: the planner then reads the rollups with one bitmap
    # scan, a page once for all tests of a day (2 k buffers for 100 monitors of 4 tests
    # over 90 days), not 90 pages per test through a nested loop (37 k).
    d = _daily(test_ids, first, today).c
    daily = (
        select(
            tests.c.monitor_id,
            type_coerce(d.day - first, Integer).label("k"),
            *(func.sum(d[column]).label(name) for name, column in _DAY_SUMS.items()),
        )
        .join(tests, tests.c.id == d.test_id)
        .group_by(tests.c.monitor_id, d.day)
    ).subquery()
    # Arrays: 100 rows to decode, in C, instead of 9,000 through the result machinery.
    query = select(
        daily.c.monitor_id, *(func.array_agg(daily.c[name]) for name in ("k", *_DAY_SUMS))
    ).group_by(daily.c.monitor_id)
    return first, list((await conn.execute(query)).all())


def spread_days(
    first: date, days: int, monitor_ids: Sequence[int], rows: Sequence[Any]
) -> tuple[list[date], dict[int, list[DayCounts | None]]]:
    """Pure: the rows of `monitors_daily_arrays` as one list of `days` entries a monitor."""
    counts: dict[int, list[DayCounts | None]] = {m: [None] * days for m in monitor_ids}
    for monitor_id, ks, *sums in rows:
        row = counts[monitor_id]
        for k, c, f, g, lc, ls in zip(ks, *sums, strict=True):
            row[k] = (c, f, g, lc, ls or 0.0)  # sums of integers: decoded to int already
    return [first + timedelta(days=i) for i in range(days)], counts
