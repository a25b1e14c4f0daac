"""Months of plausible history for one test, written straight into the processor's tables,
so the browser tests (and the screenshots they take) show a chart and 90 coloured bars."""

from __future__ import annotations

import asyncio
import math
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert

from shared.db import engine as make_engine
from shared.messages import Status
from shared.tables import daily_rollups, incidents, results_week

DAY = timedelta(days=1)
OUTAGES = {12: "down", 37: "degraded", 61: "down"}  # days ago -> how bad it was


def seed(database_url: str, test_id: int, monitor_id: int, region: str) -> None:
    # In a thread of its own: Playwright's sync API keeps an event loop in the caller's.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(_seed(database_url, test_id, monitor_id, region))).result()


def latency(minutes_ago: int) -> float:
    """A daily rhythm with a little jitter: busier (slower) in the afternoon."""
    return round(140 + 45 * math.sin(minutes_ago / 229) + 12 * math.sin(minutes_ago / 7), 1)


async def _seed(database_url: str, test_id: int, monitor_id: int, region: str) -> None:
    now = datetime.now(UTC)
    today = now.date()
    # A result every five minutes over the last day; the live checks continue from now.
    results = [
        {
            "test_id": test_id,
            "checked_at": now - timedelta(minutes=m),
            "region": region,
            "node": "seed",
            "status": int(Status.UP),
            "latency_ms": latency(m),
            "http_status": 200,
        }
        for m in range(5, 24 * 60, 5)
    ]
    # Days before today only: today's rollup is the processor's own.
    rollups = [_rollup(test_id, today - k * DAY, OUTAGES.get(k)) for k in range(1, 90)]
    engine = make_engine(database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(results_week), results)
            await conn.execute(insert(daily_rollups), rollups)
            await conn.execute(
                insert(incidents),
                [
                    _incident(test_id, monitor_id, today - k * DAY, state, region)
                    for k, state in OUTAGES.items()
                ],
            )
    finally:
        await engine.dispose()


def _rollup(test_id: int, day: date, outage: str | None) -> dict:
    checks = 1440
    failures = 25 if outage == "down" else 0
    degraded = 40 if outage == "degraded" else 0
    return {
        "test_id": test_id,
        "day": day,
        "checks": checks,
        "failures": failures,
        "degraded": degraded,
        "latency_count": checks - failures,
        "latency_sum": 140.0 * (checks - failures),
        "p50_ms": 138.0,
        "p95_ms": 210.0,
        "p99_ms": 320.0,
        "sealed": True,
    }


def _incident(test_id: int, monitor_id: int, day: date, state: str, region: str) -> dict:
    started = datetime.combine(day, time(14, 5), UTC)
    status = "down" if state == "down" else "degraded"
    return {
        "test_id": test_id,
        "monitor_id": monitor_id,
        "state": "resolved",
        "cause": f"failing in 1 region(s): {region}",
        "started_at": started,
        "confirmed_at": started,
        "resolved_at": started + timedelta(minutes=25),
        "evidence": {
            region: [
                {
                    "at_ms": int(started.timestamp() * 1000),
                    "status": status,
                    "http_status": 503,
                    "error_kind": "http_status",
                    "error": "HTTP 503",
                }
            ]
        },
    }
