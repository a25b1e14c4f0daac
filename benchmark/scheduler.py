"""`vigil bench scheduler`: what one poll of the scheduler costs with 180,000 enabled tests,
beside what the old poll's full read of them cost, in the same run.

Runs in a database of its own (created, migrated, dropped). The scheduler is the real one
with two live nodes in one region; only the broker is left out (publishing is counted, the
messages are still encoded). Figures are wall-clock milliseconds, the median of several
polls: PostgreSQL runs on this machine, so its share of the work is in them.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmark.runner import emit
from ops.migrate import drop_database, upgrade
from scheduler.plan import NodePlan
from scheduler.registry import Registry
from scheduler.service import Scheduler
from scheduler.spread import split
from shared import db
from shared.config import Settings
from shared.messages import Heartbeat, TestSpec
from shared.tables import tests

TESTS = 180_000
FEW_TESTS = 1_000  # the same poll with few tests: a steady poll must cost the same
CHANGED = 100
POLLS = 30
LOADS = 3
NODES = ("n1", "n2")


class _Exchange:
    """Stands in for the assignments exchange: counts what would be published."""

    def __init__(self) -> None:
        self.published = 0

    async def publish(self, message: Any, routing_key: str) -> None:
        self.published += 1


async def _seed(url: str, n: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        account = await conn.fetchval(
            "INSERT INTO accounts (email, password_hash) VALUES "
            "('b' || gen_random_uuid() || '@example.com', 'x') "
            "RETURNING id"
        )
        monitor = await conn.fetchval(
            "INSERT INTO monitors (account_id, name) VALUES ($1, 'm') RETURNING id", account
        )
        await conn.execute(
            "INSERT INTO tests (monitor_id, account_id, kind, region, interval_s, timeout_s,"
            " config) SELECT $1, $2, 'http', 'local', 60, 10, jsonb_build_object("
            "'url', 'https://s' || g || '.example/', 'method', 'GET', 'expect_status', 200)"
            " FROM generate_series(1, $3) g",
            monitor,
            account,
            n,
        )
        await conn.execute("VACUUM ANALYZE tests")
    finally:
        await conn.close()


def by_region(specs: list[TestSpec]) -> dict[str, dict[int, TestSpec]]:
    """The old scheduler's grouping of every spec by region, at every poll."""
    out: dict[str, dict[int, TestSpec]] = {}
    for spec in specs:
        out.setdefault(spec.region, {})[spec.id] = spec
    return out


def per_region(spec: TestSpec, regions: Sequence[str]) -> list[TestSpec]:
    """The old scheduler's specs of a test, one per region (scheduler/view.py makes the same
    without a dataclasses.replace each)."""
    unique = tuple(dict.fromkeys(regions))  # in order, once each
    shared = unique if len(unique) > 1 else ()
    return [replace(spec, region=region, regions=shared) for region in unique]


async def old_load(engine: AsyncEngine, cell: str) -> list[TestSpec]:
    """The scheduler's read before this change, at every poll: every enabled test."""
    query = select(
        tests.c.id,
        tests.c.kind,
        tests.c.regions,
        tests.c.interval_s,
        tests.c.timeout_s,
        tests.c.config,
        tests.c.version,
    ).where(tests.c.enabled)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        spec
        for r in rows
        for spec in per_region(
            TestSpec(
                id=r.id,
                cell=cell,
                region="",
                kind=r.kind,
                interval_s=r.interval_s,
                timeout_s=r.timeout_s,
                config=r.config,
                version=r.version,
            ),
            r.regions,
        )
    ]


async def old_poll(engine: AsyncEngine, cell: str, plans: dict[str, NodePlan]) -> None:
    """The whole old poll with nothing changed: the read, the share, the diff per node."""
    wanted = by_region(await old_load(engine, cell))
    shares = split(wanted.get("local", {}), list(plans))
    for node, plan in plans.items():
        assert plan.diff(shares[node]) == ([], [])


async def _ms(work: Callable[[], Awaitable[object]], times: int) -> float:
    return (await _cost(work, times))[0]


async def _cost(work: Callable[[], Awaitable[object]], times: int) -> tuple[float, float]:
    """Median wall-clock and this process's CPU milliseconds (PostgreSQL's is not in it)."""
    took, cpu = [], []
    for _ in range(times):
        started, used = time.perf_counter(), time.process_time()
        await work()
        took.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    return statistics.median(took), statistics.median(cpu)


async def _scheduler(settings: Settings, engine: AsyncEngine) -> tuple[Scheduler, _Exchange]:
    registry = Registry(engine, dead_after_s=3600)
    for node in NODES:
        await registry.beat(
            Heartbeat("local", node, "bench", int(time.time() * 1000), 5.0, 0.1, 0, 0, None)
        )
    exchange = _Exchange()
    scheduler = Scheduler(
        replace(settings, cell="bench", scheduler_full_read_s=86400.0), engine, exchange, registry
    )  # type: ignore[arg-type]
    return scheduler, exchange


async def _poll(scheduler: Scheduler) -> None:
    await scheduler.refresh()
    await scheduler.sync()


async def _changed_poll_ms(scheduler: Scheduler, url: str, exchange: _Exchange) -> float:
    conn = await asyncpg.connect(url)
    rng, took = random.Random(11), []
    try:
        ids = await conn.fetchval("SELECT array_agg(id) FROM tests")
        for round_ in range(5):
            await conn.execute(
                "UPDATE tests SET interval_s = $1, version = version + 1 "
                "WHERE id = any($2::bigint[])",
                61 + round_,
                rng.sample(ids, CHANGED),
            )
            before = exchange.published
            took.append(await _ms(lambda: _poll(scheduler), 1))
            assert exchange.published - before == len(NODES)  # each node told its share
    finally:
        await conn.close()
    return statistics.median(took)


async def _measure(settings: Settings, url: str) -> dict[str, float]:
    engine = db.engine(url, pool_size=2)
    try:
        await _seed(url, FEW_TESTS)
        scheduler, exchange = await _scheduler(settings, engine)
        await _poll(scheduler)  # the start: a full read, full sets
        few = await _ms(lambda: _poll(scheduler), POLLS)
        await _seed(url, TESTS - FEW_TESTS)
        scheduler, exchange = await _scheduler(settings, engine)
        await _poll(scheduler)
        figures = {
            "few_steady": few,
            "full_read": await _ms(lambda: scheduler.refresh(full=True), LOADS),
        }
        await scheduler.sync()  # after a full read every region is shared and diffed again
        figures["steady"], figures["steady_cpu"] = await _cost(lambda: _poll(scheduler), POLLS)
        figures["changed"] = await _changed_poll_ms(scheduler, url, exchange)
        figures["old_load"] = await _ms(lambda: old_load(engine, "bench"), LOADS)
        plans = {n: NodePlan(1, scheduler.plans[("local", n)].sent) for n in NODES}
        figures["old_poll"], figures["old_poll_cpu"] = await _cost(
            lambda: old_poll(engine, "bench", plans), LOADS
        )
        return figures
    finally:
        await engine.dispose()


def bench_scheduler(settings: Settings) -> Iterator[dict[str, Any]]:
    parts = urlsplit(settings.database_url)
    url = urlunsplit(parts._replace(path=f"/vigil_bench_{uuid.uuid4().hex[:8]}"))
    upgrade(url)
    try:
        f = asyncio.run(_measure(settings, url))
    finally:
        asyncio.run(drop_database(url))
    k = TESTS // 1000
    yield emit(
        "scheduler", f"steady_poll_ms_{k}k_tests", f["steady"], "old_full_load_ms", f["old_load"]
    )
    yield emit(
        "scheduler",
        f"steady_poll_ms_{k}k_tests",
        f["steady"],
        "old_full_poll_ms_read_share_diff",
        f["old_poll"],
    )
    yield emit(
        "scheduler",
        f"steady_poll_ms_{k}k_tests",
        f["steady"],
        f"steady_poll_ms_{FEW_TESTS // 1000}k_tests",
        f["few_steady"],
    )
    yield emit(
        "scheduler",
        f"steady_poll_scheduler_cpu_ms_{k}k_tests",
        f["steady_cpu"],
        "old_full_poll_scheduler_cpu_ms",
        f["old_poll_cpu"],
    )
    yield emit(
        "scheduler",
        f"poll_ms_{CHANGED}_changed_of_{k}k",
        f["changed"],
        "old_full_load_ms",
        f["old_load"],
    )
    yield emit(
        "scheduler",
        f"full_read_ms_{k}k_tests_start_resync_backstop",
        f["full_read"],
        "old_full_load_ms",
        f["old_load"],
    )
