"""`vigil bench ingest`: the processor's storing path in results a second, beside raw asyncpg
COPY of the same rows and per-row INSERTs through SQLAlchemy, in the same run; then the time
to drop a day's partition of 10 million rows beside DELETEing rows.

Runs in a database of its own (created, migrated, dropped). The processor path is the real
one minus the broker: bodies as executors encode them go through `Processor.decode` into
its inbox, and its writer takes groups (decode, validate, dedupe, COPY into both tables,
test and monitor state, rollups, incidents), acking fake messages after each commit.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from sqlalchemy import insert

from benchmark.runner import emit
from result_processor import certs
from result_processor.rows import RESULT_COLUMNS, records
from result_processor.service import Processor, tune_gc
from shared import db
from shared.codec import encode_batch
from shared.config import Settings
from shared.messages import Result, ResultBatch, Status
from shared.tables import results, results_week

BATCHES = 200  # of VIGIL_BATCH_MAX_RESULTS results each: 600,000 results at the default
SQLALCHEMY_ROWS = 3_000  # per-row INSERTs are slow; a sample is enough for a rate
DROP_ROWS = 10_000_000
DELETE_ROWS = 1_000_000


class _Ack:
    """Stands in for a broker message: the writer acks it after the commit."""

    async def ack(self) -> None:
        pass

    async def nack(self, requeue: bool = True) -> None:
        raise RuntimeError("the benchmark's group failed to store")


def _timings(rng: random.Random, total: float) -> dict[str, float]:
    """What an HTTPS check reports: each phase's end, in ms from the start."""
    dns = round(rng.uniform(0.2, 2.0), 3)
    connect = round(dns + total * 0.2, 3)
    tls = round(connect + total * 0.3, 3)
    return {
        "dns_ms": dns,
        "connect_ms": connect,
        "tls_ms": tls,
        "ttfb_ms": round(tls + total * 0.4, 3),
        "cert_days": 61.5,
    }


def make_batches(
    n_batches: int, size: int, n_tests: int, start_ms: int, extras: bool = True
) -> list[ResultBatch]:
    """Results in time order, cycling through `n_tests` tests; 3 % fail. With `extras`,
    every result carries what a real HTTPS check does (timings, certificate days; tries)."""
    rng = random.Random(5)
    out, k = [], 0
    for _ in range(n_batches):
        rows = []
        for _ in range(size):
            test_id, at = 1 + k % n_tests, start_ms + k
            if rng.random() < 0.03:
                more = {"dns_ms": 0.8, "attempts": 2, "first_error": "timeout"}
                rows.append(
                    Result(
                        test_id,
                        at,
                        Status.DOWN,
                        None,
                        None,
                        "timeout",
                        "no answer within 10.0 s",
                        more if extras else None,
                    )
                )
            else:
                latency = rng.lognormvariate(3.5, 0.6)
                rows.append(
                    Result(
                        test_id,
                        at,
                        Status.UP,
                        latency,
                        200,
                        None,
                        None,
                        _timings(rng, latency) if extras else None,
                    )
                )
            k += 1
        out.append(ResultBatch(uuid.uuid4().bytes, "bench", "local", "node-1", rows))
    return out


async def processor_rate(
    settings: Settings, url: str, bodies: list[bytes], certificates: bool = True
) -> float:
    pool = await db.pool(url, size=settings.processor_writers + 2)
    processor = Processor(replace(settings, cell="bench"), pool)
    # Known before the clock starts: decoding them again would be timed as the processor's.
    ids = [processor.decode(b).batch.batch_id for b in bodies[-20:]]
    total = sum(len(processor.decode(b).batch.results) for b in bodies)
    if not certificates:  # the baseline of what watching certificates costs
        processor.after = [h for h in processor.after if h is not certs.evaluate]
    writers = [
        asyncio.create_task(processor.write_forever()) for _ in range(settings.processor_writers)
    ]
    writers.append(asyncio.create_task(processor.stats.run(pool)))  # as `serve` runs it
    started = time.perf_counter()
    for body in bodies:  # as messages arrive: decoded on arrival, stored by the writer
        processor.inbox.put_nowait((_Ack(), processor.decode(body)))  # type: ignore[arg-type]
        await asyncio.sleep(0)
    while not processor.inbox.empty():
        await asyncio.sleep(0.001)
    async with pool.acquire() as conn:  # done once the last batches' ids are in
        while await conn.fetchval(
            "SELECT count(*) FROM processed_batches WHERE batch_id = any($1)", ids
        ) < len(ids):
            await asyncio.sleep(0.001)
    elapsed = time.perf_counter() - started
    for writer in writers:
        writer.cancel()
    await pool.close()
    return total / elapsed


async def copy_rate(url: str, batches: list[ResultBatch], group_rows: int) -> float:
    rows = [r for b in batches for r in records(b)]
    conn = await asyncpg.connect(url)
    started = time.perf_counter()
    for i in range(0, len(rows), group_rows):
        async with conn.transaction():
            chunk = rows[i : i + group_rows]
            await conn.copy_records_to_table("results", records=chunk, columns=RESULT_COLUMNS)
            await conn.copy_records_to_table("results_week", records=chunk, columns=RESULT_COLUMNS)
    elapsed = time.perf_counter() - started
    await conn.close()
    return len(rows) / elapsed


async def sqlalchemy_rate(url: str, batches: list[ResultBatch]) -> float:
    rows = [dict(zip(RESULT_COLUMNS, r, strict=True)) for b in batches for r in records(b)]
    rows = rows[:SQLALCHEMY_ROWS]
    engine = db.engine(url, pool_size=1)
    started = time.perf_counter()
    async with engine.begin() as conn:
        for row in rows:  # what the seed design did: a statement per row and table
            await conn.execute(insert(results).values(**row))
            await conn.execute(insert(results_week).values(**row))
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return len(rows) / elapsed


async def drop_partition_times(url: str) -> tuple[float, float]:
    """Seconds to drop a day partition of DROP_ROWS rows, and to DELETE DELETE_ROWS rows."""
    conn = await asyncpg.connect(url)
    day = datetime(2030, 1, 1, tzinfo=UTC)
    fill = (
        "INSERT INTO {} (test_id, checked_at, region, node, status, latency_ms, "
        "http_status) SELECT 1 + g % 1000, "
        "$1::timestamptz + g * $3::float8 * interval '1 ms', 'local', "
        "'node-1', 1, 42.0, 200 FROM generate_series(0, $2 - 1) g"
    )
    try:
        for name, start, n in (
            ("results_week_p2030_01_01", day, DROP_ROWS),
            ("results_week_p2030_01_02", day + timedelta(days=1), DELETE_ROWS),
        ):
            await conn.execute(f"CREATE TABLE {name} (LIKE results_week)")
            await conn.execute(fill.format(name), start, n, 86_400_000 / n)
            await conn.execute(
                f"ALTER TABLE results_week ATTACH PARTITION {name} FOR VALUES "
                f"FROM ('{start.isoformat()}') TO "
                f"('{(start + timedelta(days=1)).isoformat()}')"
            )
        await conn.execute("CHECKPOINT")
        started = time.perf_counter()
        await conn.execute("DROP TABLE results_week_p2030_01_01")
        dropped = time.perf_counter() - started
        started = time.perf_counter()
        await conn.execute(
            "DELETE FROM results_week WHERE checked_at >= $1 AND checked_at < $2",
            day + timedelta(days=1),
            day + timedelta(days=2),
        )
        deleted = time.perf_counter() - started
    finally:
        await conn.close()
    return dropped, deleted


async def _truncate(url: str) -> None:
    conn = await asyncpg.connect(url)
    await conn.execute(
        "TRUNCATE results, results_week, test_state, daily_rollups, alert_state, "
        "processed_batches, incidents, event_outbox, monitor_state CASCADE"
    )
    await conn.execute("VACUUM ANALYZE")
    await conn.close()


def _scratch_url(database_url: str) -> tuple[str, str]:
    parts = urlsplit(database_url)
    name = f"vigil_bench_{uuid.uuid4().hex[:8]}"
    return name, urlunsplit(parts._replace(path=f"/{name}"))


async def _drop_database(database_url: str, name: str) -> None:
    admin = urlunsplit(urlsplit(database_url)._replace(path="/postgres"))
    conn = await asyncpg.connect(admin)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


def bench_ingest(settings: Settings) -> Iterator[dict[str, Any]]:
    from ops.migrate import upgrade

    tune_gc()  # as the processor runs; for every contender alike
    name, url = _scratch_url(settings.database_url)
    upgrade(url)
    try:
        yield from _ingest_lines(settings, url)
        yield from _broker_lines(settings)
        dropped, deleted = asyncio.run(drop_partition_times(url))
        yield emit(
            "ingest",
            f"drop_day_partition_{DROP_ROWS // 1_000_000}m_rows_s",
            dropped,
            f"delete_{DELETE_ROWS // 1_000_000}m_rows_s",
            deleted,
        )
    finally:
        asyncio.run(_drop_database(settings.database_url, name))


def _broker_lines(settings: Settings) -> Iterator[dict[str, Any]]:
    """Quorum against classic results queues on one broker, the same batches through each."""
    from benchmark import peers
    from benchmark.queues import broker_rate
    from shared import amqp

    size = settings.batch_max_results
    bodies = [
        encode_batch(b)
        for b in make_batches(BATCHES, size, 10_000, int(time.time() * 1000) - 3_600_000)
    ]
    rates = {}
    with peers.vhost() as vhost:
        url = urlunsplit(urlsplit(settings.amqp_url.split(",")[0])._replace(path=f"/{vhost}"))
        for kind in ("quorum", "classic"):
            options = amqp.QueueOptions(kind, settings.amqp_delivery_limit)
            rates[kind] = asyncio.run(broker_rate(url, bodies, size, options))
    yield emit(
        "ingest", "broker_results_per_s_quorum", rates["quorum"], "classic_queue", rates["classic"]
    )
    yield emit("ingest", "broker_results_per_s_quorum", rates["quorum"], "seed_load", 3_000)


def _ingest_lines(settings: Settings, url: str) -> Iterator[dict[str, Any]]:
    size, group = settings.batch_max_results, settings.processor_group_rows
    start = int(time.time() * 1000) - 3_600_000
    for label, n_tests in (("10k_tests", 10_000), ("distinct_tests", BATCHES * size)):
        batches = make_batches(BATCHES, size, n_tests, start)
        bodies = [encode_batch(b) for b in batches]
        asyncio.run(_truncate(url))
        raw = asyncio.run(copy_rate(url, batches, group))
        asyncio.run(_truncate(url))
        ours = asyncio.run(processor_rate(settings, url, bodies))
        yield emit("ingest", f"processor_results_per_s_{label}", ours, "raw_asyncpg_copy", raw)
        if label == "10k_tests":
            asyncio.run(_truncate(url))
            per_row = asyncio.run(sqlalchemy_rate(url, batches))
            yield emit(
                "ingest",
                f"processor_results_per_s_{label}",
                ours,
                "sqlalchemy_insert_per_row",
                per_row,
            )
            # What carrying the extras costs: the same results without them.
            plain = [
                encode_batch(b) for b in make_batches(BATCHES, size, n_tests, start, extras=False)
            ]
            asyncio.run(_truncate(url))
            bare = asyncio.run(processor_rate(settings, url, plain))
            yield emit(
                "ingest", f"processor_results_per_s_{label}", ours, "processor_without_extras", bare
            )
            # What watching certificates costs: the same run without that hook.
            asyncio.run(_truncate(url))
            blind = asyncio.run(processor_rate(settings, url, bodies, certificates=False))
            yield emit(
                "ingest",
                f"processor_results_per_s_{label}",
                ours,
                "processor_without_cert_notices",
                blind,
            )
