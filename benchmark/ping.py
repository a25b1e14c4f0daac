"""`vigil bench ping`: heartbeat pings taken, made durable and stored; missed deadlines found.

Throughput: one `vigil api` process (and a `vigil processor` storing what it takes) on a
scratch database and vhost, driven by wrk (Debian's, written in C: not the bottleneck)
over 64 connections, each request a ping of one of 5,000 heartbeat tests (under the
per-token limit of 5 a second). Each ping is answered only once RabbitMQ confirmed it; the
stored rate counts until the last of them is in both result tables. Baseline, same run,
same wrk: a bare uvicorn endpoint answering 200 and doing nothing (`benchmark.bare_asgi`).

Deadlines: 100,000 heartbeat tests, of which 1 % come due over 10 seconds while the real
processor runs; the delay from each deadline to its DOWN result visible in the database
(polled every 20 ms), p50 and p99. And what finding deadlines costs while nothing is due:
one look as the processor makes it (the index probe for the earliest due time), against
the baseline of a scan of every test's deadline once a second.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from benchmark.api import _scratch_url, _wait_up
from benchmark.peers import free_port, vhost, wait_for_port, wrk_rate
from benchmark.runner import Line, emit
from ops.migrate import drop_database, upgrade
from result_processor.missed import next_due
from shared.config import Settings

TOKENS = 5_000
SECONDS = 10
TESTS = 100_000
MISSING = TESTS // 100
WINDOW_S = 10.0
POLL_S = 0.02

_SEED = """
WITH a AS (INSERT INTO accounts (email, password_hash) VALUES ($1, 'x') RETURNING id),
     m AS (INSERT INTO monitors (account_id, name) SELECT id, 'bench' FROM a
           RETURNING id, account_id),
     t AS (INSERT INTO tests (monitor_id, account_id, kind, region, regions, interval_s,
                              timeout_s, config)
           SELECT m.id, m.account_id, 'heartbeat', 'local', '{local}', 3600, 10,
                  '{"grace_s": 600, "tz": "UTC", "cron": null}'
           FROM m, generate_series(1, $2) RETURNING id)
INSERT INTO heartbeats (test_id, token, state, last_success_at, late_at, due_at)
SELECT id, 'bench' || lpad(id::text, 17, '0'), 'up', now(), now() + interval '1 hour',
       now() + interval '70 minutes'
FROM t
"""


def _env(database_url: str, amqp_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "VIGIL_DATABASE_URL": database_url,
        "VIGIL_AMQP_URL": amqp_url,
        "VIGIL_CELL": "bench",
        "VIGIL_LOG_LEVEL": "WARNING",
        "VIGIL_DIRECTORY_URL": "",
        "VIGIL_METRICS_PORT": "0",  # no side port: the default one may be taken here
        **extra,
    }


def _start(argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def _seed(database_url: str, tests: int) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(_SEED, f"bench-{tests}@example.com", tests)
        return [r["token"] for r in await conn.fetch("SELECT token FROM heartbeats")]
    finally:
        await conn.close()


async def _count(database_url: str, table: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await conn.close()


def _bare_rate(paths: list[str]) -> float:
    port = free_port()
    proc = _start([sys.executable, "-m", "benchmark.bare_asgi", str(port)], dict(os.environ))
    try:
        wait_for_port(port, "the bare uvicorn endpoint")
        return wrk_rate(f"http://127.0.0.1:{port}", paths, SECONDS, what="bare uvicorn")
    finally:
        _stop(proc)


def _throughput(database_url: str, amqp_url: str) -> Iterator[Line]:
    paths = [f"/ping/{t}" for t in asyncio.run(_seed(database_url, TOKENS))]
    bare = _bare_rate(paths)
    port = free_port()
    env = _env(database_url, amqp_url, VIGIL_API_PORT=str(port))
    processor = _start([sys.executable, "-m", "ops.cli", "processor"], env)
    api = _start([sys.executable, "-m", "ops.cli", "api"], env)
    try:
        asyncio.run(_wait_up(f"http://127.0.0.1:{port}"))
        started = time.monotonic()
        ours = wrk_rate(f"http://127.0.0.1:{port}", paths, SECONDS, what="vigil api")
        answered = round(ours * SECONDS)
        while asyncio.run(_count(database_url, "results_week")) < answered * 0.999:
            if time.monotonic() - started > SECONDS + 120:
                raise RuntimeError("the processor did not store the pings within 2 minutes")
            time.sleep(0.2)
        stored = asyncio.run(_count(database_url, "results")) / (time.monotonic() - started)
    finally:
        _stop(api)
        _stop(processor)
    yield emit("ping", "pings_answered_per_s", ours, "bare_uvicorn_200", bare)
    yield emit("ping", "pings_stored_per_s", stored, "bare_uvicorn_200", bare)


_SCAN = (
    "SELECT h.test_id FROM heartbeats h JOIN tests t ON t.id = h.test_id "
    "WHERE h.state = 'up' AND h.last_success_at + make_interval(secs => t.interval_s "
    "+ (t.config->>'grace_s')::int) <= now()"
)


async def _arm_missers(database_url: str, armed: bool = True) -> dict[int, datetime]:
    """1 % of the tests come due over the next WINDOW_S seconds (2 s from now on): their
    last success an hour and ten minutes (period and grace) before. `armed`: with the due
    time our finder reads; else only the last success, which the baseline's scan reads."""
    conn = await asyncpg.connect(database_url)
    try:
        start = datetime.now(UTC) + timedelta(seconds=2)
        rows = await conn.fetch(
            "UPDATE heartbeats SET state = 'up', "
            "last_success_at = $1::timestamptz + ((test_id / 100) % $2::int) * $3::float8 "
            "  * interval '1 second' - interval '70 minutes', "
            "due_at = CASE WHEN $4::bool THEN $1::timestamptz + ((test_id / 100) % $2::int) * "
            "  $3::float8 * interval '1 second' END "
            "WHERE test_id % 100 = 0 RETURNING test_id, last_success_at",
            start,
            MISSING,
            WINDOW_S / MISSING,
            armed,
        )
        return {r["test_id"]: r["last_success_at"] + timedelta(minutes=70) for r in rows}
    finally:
        await conn.close()


async def _scan_delays(database_url: str, due: dict[int, datetime]) -> list[float]:
    """The baseline: a finder that scans every test's deadline once a second; seconds from
    each deadline to the scan that found it (found only: it stores nothing)."""
    conn = await asyncpg.connect(database_url)
    found: dict[int, float] = {}
    try:
        while len(found) < len(due):
            began = time.monotonic()
            for r in await conn.fetch(_SCAN):
                found.setdefault(r["test_id"], time.time())
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - began)))
    finally:
        await conn.close()
    return sorted(found[t] - due[t].timestamp() for t in due)


async def _watch(database_url: str, due: dict[int, datetime]) -> list[float]:
    """Seconds from each deadline to its DOWN result being visible."""
    conn = await asyncpg.connect(database_url)
    seen: dict[int, float] = {}
    deadline = time.time() + WINDOW_S + 60
    try:
        while len(seen) < len(due) and time.time() < deadline:
            now = time.time()
            for r in await conn.fetch(
                "SELECT test_id FROM results_week WHERE error_kind = 'missed'"
            ):
                seen.setdefault(r["test_id"], now)
            await asyncio.sleep(POLL_S)
    finally:
        await conn.close()
    if len(seen) < len(due):
        raise RuntimeError(f"only {len(seen)} of {len(due)} missed deadlines were stored")
    return sorted(seen[t] - due[t].timestamp() for t in due)


async def _look_cost(database_url: str, looks: int = 200) -> tuple[float, float]:
    """(ms per second: our look once a second, the baseline's scan once a second)."""
    conn = await asyncpg.connect(database_url)
    try:
        started = time.perf_counter()
        for _ in range(looks):
            await next_due(conn)
        ours = (time.perf_counter() - started) / looks * 1000
        started = time.perf_counter()
        for _ in range(5):
            await conn.fetch(_SCAN)
        theirs = (time.perf_counter() - started) / 5 * 1000
    finally:
        await conn.close()
    return ours, theirs


def _deadlines(database_url: str, amqp_url: str) -> Iterator[Line]:
    asyncio.run(_seed(database_url, TESTS))
    ours_ms, scan_ms = asyncio.run(_look_cost(database_url))
    processor = _start([sys.executable, "-m", "ops.cli", "processor"], _env(database_url, amqp_url))
    try:
        time.sleep(3)  # partitions made, the finder looking
        due = asyncio.run(_arm_missers(database_url))
        delays = asyncio.run(_watch(database_url, due))
    finally:
        _stop(processor)
    scanned = asyncio.run(
        _scan_delays(database_url, asyncio.run(_arm_missers(database_url, armed=False)))
    )
    for name, q in (("p50", 0.5), ("p99", 0.99)):
        yield emit(
            "ping",
            f"deadline_to_down_{name}_s",
            _at(delays, q),
            "full_scan_each_second_found",
            _at(scanned, q),
        )
    yield emit("ping", "deadline_finding_ms_per_s_idle", ours_ms, "full_scan_each_second", scan_ms)


def _at(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_ping(settings: Settings) -> Iterator[Line]:
    for part in (_throughput, _deadlines):
        database_url = _scratch_url(settings.database_url)
        upgrade(database_url)
        try:
            with vhost() as name:
                amqp_url = urlunsplit(urlsplit(settings.amqp_url)._replace(path=f"/{name}"))
                yield from part(database_url, amqp_url)
        finally:
            asyncio.run(drop_database(database_url))
