"""The history part of a public page: 30, 90 or 365 daily bars per monitor (the page's
`history_days`), uptime and response time per period (`api.public_periods`), the incidents.

Closed days change only through late results (a region that was cut off) and incident
changes, so a page's closed days are built once and kept for the UTC day. Each refresh
of the page reads only today's counts and one *watermark*, a row computed in the
database that changes whenever what the closed days show could have changed:

- the sum of the closed days' checks of the page's tests (a late result adds a check to
  its day, so the sum grows; a test removed from a monitor takes its rows out of it);
- a digest of the window's confirmed incidents (id, state, resolution, public title and
  message: a new incident, a resolution, a reopening, a change of severity while open, the
  team naming it);
- the count and newest id of their updates (updates are only ever added).

A different watermark, a new UTC day or a different list of monitors rebuilds the
history (in a worker thread, in the background of the page's refresh); otherwise a
refresh costs one more small query (the watermark comes with today's counts) and today's
column. The watermark is read before the history: a change between the two makes one
rebuild too many, never a history older than its watermark.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from api import incidents as incident_store
from api import public_periods, queries, read_models

MAX_INCIDENTS = 200  # of the page's days, newest first
Watermark = tuple[Any, ...]
ClosedBars = tuple[list[float | None], list[str], dict[str, list[int]]]

_PAGE_TESTS = "ARRAY(SELECT id FROM tests WHERE monitor_id = ANY(:monitors))"
_WINDOW_INCIDENTS = """SELECT id, state, resolved_at,
           md5(concat_ws(':', public_title, public_message)) AS words FROM incidents
    WHERE monitor_id = ANY(:monitors) AND confirmed_at IS NOT NULL
      AND (resolved_at IS NULL OR resolved_at >= :first)"""
# One row, one round trip: the watermark, and today's counts per monitor as arrays. The
# test ids as an array (not a join) keep the rollups on a bitmap scan. A day's counts live in
# test_state until the test's first result of the next day files them into daily_rollups
# (migration 0011): both places are summed, so the filing changes neither figure.
LIVE_ROW = text(f"""
SELECT (SELECT coalesce(sum(checks), 0) FROM daily_rollups
        WHERE test_id = ANY({_PAGE_TESTS}) AND day >= :first_day AND day < :today)
       + (SELECT coalesce(sum(day_checks), 0) FROM test_state
          WHERE test_id = ANY({_PAGE_TESTS}) AND day >= :first_day AND day < :today),
       (SELECT md5(coalesce(string_agg(concat_ws(':', id, state, resolved_at, words), ','
                                       ORDER BY id), ''))
        FROM ({_WINDOW_INCIDENTS}) i),
       (SELECT concat_ws(':', count(*), max(id)) FROM incident_updates
        WHERE incident_id IN (SELECT id FROM ({_WINDOW_INCIDENTS}) i)),
       d.monitors, d.checks, d.failures, d.degraded, d.timed, d.latency
FROM (SELECT array_agg(monitor_id) AS monitors, array_agg(c) AS checks,
             array_agg(f) AS failures, array_agg(g) AS degraded, array_agg(lc) AS timed,
             array_agg(ls) AS latency
      FROM (SELECT t.monitor_id, sum(r.checks) AS c, sum(r.failures) AS f,
                   sum(r.degraded) AS g, sum(r.latency_count) AS lc, sum(r.latency_sum) AS ls
            FROM (SELECT test_id, checks, failures, degraded, latency_count, latency_sum
                  FROM daily_rollups
                  WHERE test_id = ANY({_PAGE_TESTS}) AND day = :today
                  UNION ALL
                  SELECT test_id, day_checks, day_failures, day_degraded, day_latency_count,
                         day_latency_sum FROM test_state
                  WHERE test_id = ANY({_PAGE_TESTS}) AND day = :today) r
            JOIN tests t ON t.id = r.test_id
            GROUP BY t.monitor_id) m) d
""")


@dataclass(frozen=True)
class History:
    """A page's closed days, valid for `today`, its monitors, its length and its watermark."""

    today: date
    monitor_ids: tuple[int, ...]
    watermark: Watermark
    closed: dict[int, ClosedBars]  # per monitor: the days - 1 closed days, oldest first
    incidents: list[Any]  # rows, for today's marks
    incidents_json: list[dict[str, Any]]
    days: int = 90
    sums: dict[int, dict[str, public_periods.Sums]] | None = None  # closed part of periods

    def fits(
        self, today: date, monitor_ids: tuple[int, ...], watermark: Watermark, days: int = 90
    ) -> bool:
        return (self.today, self.monitor_ids, self.watermark, self.days) == (
            today,
            monitor_ids,
            watermark,
            days,
        )


def first_day(today: date, days: int = 90) -> date:
    return today - timedelta(days=days - 1)


async def today_and_watermark(
    conn: AsyncConnection, monitor_ids: tuple[int, ...], today: date, days: int = 90
) -> tuple[dict[int, queries.DayCounts], Watermark]:
    """Today's counts per monitor (checks, failures, degraded, latency count and sum) and
    the watermark of the page's `days`."""
    first = first_day(today, days)
    row = (
        await conn.execute(
            LIVE_ROW,
            {
                "monitors": list(monitor_ids),
                "first_day": first,
                "today": today,
                "first": datetime.combine(first, time(), UTC),
            },
        )
    ).one()
    counted = zip(*(row[i] or () for i in range(3, 9)), strict=True)
    return (
        {m: (int(c), int(f), int(g), int(lc), float(ls or 0)) for m, c, f, g, lc, ls in counted},
        tuple(row[:3]),
    )


async def read(
    conn: AsyncConnection,
    monitor_ids: tuple[int, ...],
    now: datetime,
    mark: Watermark,
    days: int = 90,
) -> Any:
    """Read what the history needs; returns a function that builds it (run in a thread)."""
    today = now.date()
    first, rows = await queries.monitors_daily_arrays(conn, list(monitor_ids), today, days)
    start = datetime.combine(first, time(), UTC)
    found = await queries.incidents_between(
        conn, start, now + timedelta(days=1), monitor_ids=list(monitor_ids), limit=MAX_INCIDENTS
    )
    updates = await incident_store.updates_of(conn, [i.id for i in found])

    def build() -> History:
        dates, counts = queries.spread_days(first, days, list(monitor_ids), rows)
        per_monitor: dict[int | None, list[Any]] = defaultdict(list)
        for incident in found:
            per_monitor[incident.monitor_id].append(incident)
        closed = {m: _closed_bars(dates, counts[m], per_monitor[m], now) for m in monitor_ids}
        sums = {m: public_periods.closed_sums(counts[m][:-1], days) for m in monitor_ids}
        return History(
            today,
            monitor_ids,
            mark,
            closed,
            found,
            [_incident_json(i, updates[i.id]) for i in found],
            days,
            sums,
        )

    return build


def _uptime(counts: queries.DayCounts | None) -> float | None:
    return round((counts[0] - counts[1]) / counts[0], 5) if counts and counts[0] else None


def _closed_bars(
    days: list[date], counts: list[queries.DayCounts | None], incidents: list[Any], now: datetime
) -> ClosedBars:
    days, counts = days[:-1], counts[:-1]  # today is the live part's
    marks = read_models.day_marks(days, [c[0] if c else 0 for c in counts], incidents, now)
    return (
        [_uptime(c) for c in counts],
        [status for status, _ in marks],
        {day.isoformat(): ids for day, (_, ids) in zip(days, marks, strict=True) if ids},
    )


def _incident_json(incident: Any, updates: list[Any]) -> dict[str, Any]:
    return {
        "id": incident.id,
        "monitor_id": incident.monitor_id,
        "state": incident.state,
        "severity": read_models.severity(incident),
        "started_at": incident.started_at.isoformat(),
        "resolved_at": incident.resolved_at and incident.resolved_at.isoformat(),
        "title": incident.public_title,
        "message": incident.public_message,
        "updates": [
            {"message": u.message, "created_at": u.created_at.isoformat()} for u in updates
        ],
    }


def with_today(
    history: History,
    today: dict[int, queries.DayCounts],
    now: datetime,
    targets: dict[int, float | None] | None = None,
) -> dict[str, Any]:
    """The page's "bars" and "incidents": the kept closed days plus today's column, each
    monitor with its figures per period and its SLA verdict (`targets`: per monitor, the
    SLA target in percent, None for none) over the page's days."""
    day = now.date()
    first = first_day(day, history.days).isoformat()
    sla_period = next(n for n, d in public_periods.PERIODS.items() if d == history.days)
    per_monitor: dict[int | None, list[Any]] = defaultdict(list)
    for incident in history.incidents:
        per_monitor[incident.monitor_id].append(incident)
    bars = []
    for monitor_id in history.monitor_ids:
        uptime, status, ids = history.closed[monitor_id]
        counts = today.get(monitor_id)
        [(mark, today_ids)] = read_models.day_marks(
            [day], [counts[0] if counts else 0], per_monitor[monitor_id], now
        )
        periods = public_periods.figures((history.sums or {}).get(monitor_id, {}), counts)
        bars.append(
            {
                "monitor_id": monitor_id,
                "first_day": first,
                "uptime": [*uptime, _uptime(counts)],
                "status": [*status, mark],
                "incident_ids": {**ids, day.isoformat(): today_ids} if today_ids else ids,
                "periods": periods,
                "sla": public_periods.sla((targets or {}).get(monitor_id), periods.get(sla_period)),
            }
        )
    return {"bars": bars, "incidents": history.incidents_json}
