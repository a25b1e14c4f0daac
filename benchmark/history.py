"""A year of history for 1,000 tests, made with generate_series; then every query of
`api.queries` timed and EXPLAIN ANALYZEd against it (docs/PERFORMANCE.md, "Queries").

    .venv/bin/python benchmark/history.py [--keep] [--full-every MINUTES]

Creates (and unless --keep, drops) a database of its own on the local server. The full
history gets one result per test every --full-every minutes for 365 days (10: 52 million
rows); the week table gets one per test per minute for seven days (10 million rows), as a
1-minute check interval would; the rollups one sealed row per test per day; incidents a
dozen per test over the year.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import event

from api import queries
from ops.migrate import upgrade
from result_processor import partitions
from shared import db, partitioning

TESTS, PER_MONITOR = 1000, 4
ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"

_SETUP = """
INSERT INTO accounts (id, email, password_hash) VALUES (1, 'bench@example.com', 'x');
INSERT INTO monitors (id, account_id, name)
  SELECT m, 1, 'monitor ' || m FROM generate_series(1, {monitors}) m;
INSERT INTO tests (id, monitor_id, account_id, kind, region, interval_s, timeout_s, config)
  SELECT t, (t - 1) / {per} + 1, 1, 'http', 'local', 60, 10, '{{}}'
  FROM generate_series(1, {tests}) t;
"""

# 0.3 % DOWN, 0.5 % DEGRADED, latency a rough log-normal.
_ROWS = """
INSERT INTO {table} (test_id, checked_at, region, node, status, latency_ms, http_status)
SELECT t, ts, CASE WHEN t % 2 = 0 THEN 'eu' ELSE 'us' END, 'node-1',
       CASE WHEN r < 0.003 THEN 0 WHEN r < 0.008 THEN 2 ELSE 1 END,
       CASE WHEN r < 0.003 THEN NULL ELSE exp(3.5 + 0.6 * sqrt(-2 * ln(random())) *
                                              cos(2 * pi() * random())) END,
       CASE WHEN r < 0.003 THEN 503 ELSE 200 END
FROM generate_series($1::timestamptz, $2::timestamptz - interval '1 second', $3::interval) ts,
     generate_series(1, {tests}) t, LATERAL (SELECT random() + 0 * t AS r) x
"""

_ROLLUPS = """
INSERT INTO daily_rollups (test_id, day, checks, failures, degraded, latency_count,
                           latency_sum, p50_ms, p95_ms, p99_ms, sealed)
SELECT t, d::date, 1440, (random() * 5)::int, (random() * 8)::int, 1435, 1435 * 40.0,
       33 + random() * 5, 80 + random() * 20, 140 + random() * 40, d::date < $2
FROM generate_series($1::date, $2::date, interval '1 day') d, generate_series(1, {tests}) t
"""

_INCIDENTS = """
INSERT INTO incidents (test_id, monitor_id, state, cause, started_at, confirmed_at,
                       resolved_at, evidence)
SELECT t, (t - 1) / {per} + 1, 'resolved', 'failing in 2 region(s): eu (timeout), us (timeout)',
       s, s + interval '2 minutes', s + interval '17 minutes', '{{}}'
FROM generate_series(1, {tests}) t,
     LATERAL (SELECT $1::timestamptz + (k * 30 + (t % 29)) * interval '1 day' AS s
              FROM generate_series(0, 11) k) x
"""


async def build(url: str, every_min: int, now: datetime) -> None:
    conn = await asyncpg.connect(url)
    await conn.execute(_SETUP.format(monitors=TESTS // PER_MONITOR, per=PER_MONITOR, tests=TESTS))
    full, week = partitioning.results_scheme(), partitioning.WEEK
    month = partitioning.partition_at(full, now - timedelta(days=366))
    have = set(await partitions.existing(conn, "results"))
    while month.start < now:
        if month.name not in have:
            await partitions.create(conn, full, month)
        month = partitioning.partition_at(full, month.end)
    for days in range(8):
        p = partitioning.partition_at(week, now - timedelta(days=days))
        if p.name not in await partitions.existing(conn, "results_week"):
            await partitions.create(conn, week, p)
    step = timedelta(days=30)
    start = now - timedelta(days=365)
    while start < now:  # a month at a time
        end = min(start + step, now)
        await conn.execute(
            _ROWS.format(table="results", tests=TESTS), start, end, timedelta(minutes=every_min)
        )
        print(f"  full history up to {end:%Y-%m-%d}", flush=True)
        start = end
    for d in range(7, 0, -1):
        await conn.execute(
            _ROWS.format(table="results_week", tests=TESTS),
            now - timedelta(days=d),
            now - timedelta(days=d - 1),
            timedelta(minutes=1),
        )
    print("  week table done", flush=True)
    await conn.execute(_ROLLUPS.format(tests=TESTS), (now - timedelta(days=365)).date(), now.date())
    await conn.execute(_INCIDENTS.format(tests=TESTS, per=PER_MONITOR), now - timedelta(days=365))
    await conn.execute("VACUUM ANALYZE")
    await conn.close()


Query = Callable[[Any], Awaitable[Any]]


def cases(now: datetime) -> dict[str, Query]:
    today = now.date()
    return {
        "counts_24h (one test)": lambda c: queries.counts_24h(c, 421, now),
        "monitor_counts_24h (4 tests)": lambda c: queries.monitor_counts_24h(c, 106, now),
        "last_results (50)": lambda c: queries.last_results(c, 421, 50),
        "response_times (24 h, hourly p50/p95/p99)": lambda c: queries.response_times(
            c, 421, now - timedelta(days=1), now, timedelta(hours=1)
        ),
        "response_times (7 d, 6-hourly)": lambda c: queries.response_times(
            c, 421, now - timedelta(days=7), now, timedelta(hours=6)
        ),
        "daily_latency (365 days)": lambda c: queries.daily_latency(
            c, 421, today - timedelta(days=365), today
        ),
        "daily_bars (90 days, one test)": lambda c: queries.daily_bars(c, [421], today),
        "daily_bars (90 days, a monitor of 4)": lambda c: queries.daily_bars(
            c, [421, 422, 423, 424], today
        ),
        "incidents_between (a year, a monitor)": lambda c: queries.incidents_between(
            c, now - timedelta(days=365), now, monitor_ids=[106]
        ),
        "incidents_between (30 days, 250 monitors)": lambda c: queries.incidents_between(
            c, now - timedelta(days=30), now, monitor_ids=list(range(1, 251))
        ),
    }


async def measure(url: str, now: datetime) -> None:
    engine = db.engine(url, pool_size=1)
    captured: list[tuple[str, Any]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def capture(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        captured.append((statement, parameters))

    print("| query | median ms (20 runs, through SQLAlchemy) | EXPLAIN ANALYZE execution ms |")
    print("|---|---|---|")
    plans = []
    async with engine.connect() as c:
        for name, run in cases(now).items():
            await run(c)  # warm
            times = []
            for _ in range(20):
                started = time.perf_counter()
                await run(c)
                times.append((time.perf_counter() - started) * 1000)
            captured.clear()
            await run(c)
            statement, params = captured[-1]
            raw = await c.get_raw_connection()
            plan = await raw.driver_connection.fetch(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, *params
            )
            lines = [r[0] for r in plan]
            executed = next(x for x in lines if x.startswith("Execution Time"))
            print(
                f"| {name} | {statistics.median(times):.2f} | "
                f"{executed.split(': ')[1].removesuffix(' ms')} |",
                flush=True,
            )
            plans.append((name, lines))
    await engine.dispose()
    for name, lines in plans:
        print(f"\n#### {name}\n```\n" + "\n".join(lines) + "\n```")


async def drop(name: str) -> None:
    conn = await asyncpg.connect(ADMIN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--full-every", type=int, default=10, metavar="MINUTES")
    p.add_argument("--database", help="reuse this already built database")
    args = p.parse_args()
    name = args.database or f"vigil_history_{uuid.uuid4().hex[:6]}"
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        if not args.database:
            upgrade(url)
            started = time.perf_counter()
            asyncio.run(build(url, args.full_every, now))
            print(f"built {name} in {time.perf_counter() - started:.0f} s", flush=True)
        asyncio.run(_sizes(url))
        asyncio.run(measure(url, now))
    finally:
        if not args.keep and not args.database:
            asyncio.run(drop(name))


async def _sizes(url: str) -> None:
    conn = await asyncpg.connect(url)
    for table in ("results", "results_week", "daily_rollups", "incidents"):
        n = await conn.fetchval(f"SELECT count(*) FROM {table}")
        size = await conn.fetchval(
            "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c "
            "WHERE c.oid = $1::regclass OR c.oid IN "
            "(SELECT inhrelid FROM pg_inherits WHERE inhparent = $1::regclass)",
            table,
        )
        print(f"{table}: {n:,} rows, {size}", flush=True)
    await conn.close()


if __name__ == "__main__":
    main()
