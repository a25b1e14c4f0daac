"""Seeds a monitor's history straight into the tables the processor keeps (week table,
daily rollups, incidents), with figures simple enough to check the read models by hand."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from api.routes import public, stats
from shared.messages import Status
from shared.tables import daily_rollups, incidents, results_week

DAY = timedelta(days=1)


@dataclass(frozen=True)
class History:
    now: datetime
    today: date
    open_id: int  # a degraded incident open since midnight
    resolved_id: int  # a down incident three days ago


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def pin_api_clock(monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
    """The in-process API reads its stats, bars and public pages at `now`: a history seeded
    for one UTC day is read on that day, even when midnight passes while the test runs."""
    monkeypatch.setattr(public, "utc_now", lambda: now)
    monkeypatch.setattr(stats, "utc_now", lambda: now)


async def seed(engine: AsyncEngine, test_id: int, monitor_id: int, marker: str = "x") -> History:
    """Over the last ten hours, 100 results of the test, one every 6 minutes, alternately
    from eu and us: the first five DOWN (no latency), the next three DEGRADED, latency i + 1.
    Rollups: today 100 checks (5 failures, 3 degraded); each of the nine days before, 1,000
    checks and 10 failures; 40 days ago 500 checks. Incidents: one DOWN, resolved, three
    days ago; one DEGRADED, open since midnight."""
    now = datetime.now(UTC)
    today = now.date()
    rows = []
    for i in range(100):
        status = Status.DOWN if i < 5 else Status.DEGRADED if i < 8 else Status.UP
        rows.append(
            {
                "test_id": test_id,
                "checked_at": now - timedelta(minutes=6 * i + 1),
                "region": ("eu", "us")[i % 2],
                "node": "n1",
                "status": int(status),
                "latency_ms": None if status is Status.DOWN else float(i + 1),
                "http_status": 200,
            }
        )
    rollups = [rollup(test_id, today, 100, 5, 3, sealed=False)]
    rollups += [rollup(test_id, today - k * DAY, 1000, 10) for k in range(1, 10)]
    rollups.append(rollup(test_id, today - 40 * DAY, 500, 0))
    three_days_ago = midnight(today - 3 * DAY) + timedelta(hours=10)
    evidence = {
        "eu": [
            {
                "at_ms": int(three_days_ago.timestamp() * 1000),
                "status": "down",
                "http_status": None,
                "error_kind": "timeout",
                "error": marker,
            }
        ]
    }
    async with engine.begin() as conn:
        await conn.execute(insert(results_week), rows)
        await conn.execute(insert(daily_rollups), rollups)
        resolved_id = await conn.scalar(
            insert(incidents)
            .values(
                test_id=test_id,
                monitor_id=monitor_id,
                state="resolved",
                cause=f"failing in 1 region(s): eu (timeout) {marker}",
                started_at=three_days_ago,
                confirmed_at=three_days_ago,
                resolved_at=three_days_ago + timedelta(minutes=30),
                evidence=evidence,
            )
            .returning(incidents.c.id)
        )
        open_id = await conn.scalar(
            insert(incidents)
            .values(
                test_id=test_id,
                monitor_id=monitor_id,
                state="degraded",
                cause=f"slow {marker}",
                started_at=midnight(today),
                confirmed_at=midnight(today),
                evidence=json.loads('{"us": []}'),
            )
            .returning(incidents.c.id)
        )
    return History(now, today, open_id, resolved_id)


def rollup(
    test_id: int,
    day: date,
    checks: int,
    failures: int,
    degraded: int = 0,
    mean_ms: float = 40.0,
    sealed: bool = True,
) -> dict:
    """A `daily_rollups` row: every check that did not fail took `mean_ms` on average; a
    sealed day also has its percentiles (40, 90 and 150 ms)."""
    return {
        "test_id": test_id,
        "day": day,
        "checks": checks,
        "failures": failures,
        "degraded": degraded,
        "latency_count": checks - failures,
        "latency_sum": mean_ms * (checks - failures),
        "p50_ms": 40.0 if sealed else None,
        "p95_ms": 90.0 if sealed else None,
        "p99_ms": 150.0 if sealed else None,
        "sealed": sealed,
    }
