"""`vigil bench api`: the public status page of 100 monitors under 200 concurrent clients.

Two pages of the same 100 monitors: one with 90 days of bars (the baseline) and one with
365 (a year from the daily rollups), both measured cached in the same run.

The API runs as its own process (`vigil api`) on a scratch database; this process is the
load. Latency: 200 clients, each asking for the page, reading the answer, pausing about a
second (a browser's auto-refresh waits far longer) and asking again. Capacity: the same
200 clients with no pause at all. The same page is measured in the same run served by the
cache and with the cache off (VIGIL_PUBLIC_CACHE_TTL=0), the baseline; and with a TTL of an
hour (never refreshed during the run), which shows what the refreshes every 5 s add to the
tail on this machine. The clients take gzip, as browsers do, and do not inflate what they
read (the visitor's machine does that, not the server's).
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from sqlalchemy import insert, text

from benchmark.runner import Line, emit
from ops.migrate import drop_database, upgrade
from shared import db
from shared.config import Settings
from shared.tables import (
    accounts,
    monitors,
    status_page_monitors,
    status_pages,
    test_state,
    tests,
)

MONITORS = 100
CLIENTS = 200
THINK_S = 1.0
DURATION_S = 10.0
WARMUP_S = 2.0
SLUG = "bench-page"
YEAR_SLUG = "bench-year"  # the same monitors with 365 days of bars


def _scratch_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"/vigil_bench_{uuid.uuid4().hex[:8]}"))


async def _seed(database_url: str) -> None:
    """One account, 100 monitors of one test each with a state, all on one page."""
    engine = db.engine(database_url, pool_size=1)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        account = await conn.scalar(
            insert(accounts)
            .values(email="bench@example.com", password_hash="x")
            .returning(accounts.c.id)
        )
        groups = [f"Group {i}" for i in range(5)]
        page = await conn.scalar(
            insert(status_pages)
            .values(account_id=account, slug=SLUG, title="Bench", language="en", groups=groups)
            .returning(status_pages.c.id)
        )
        year = await conn.scalar(
            insert(status_pages)
            .values(
                account_id=account,
                slug=YEAR_SLUG,
                title="Bench year",
                language="en",
                groups=groups,
                history_days=365,
                sla_target=99.9,
            )
            .returning(status_pages.c.id)
        )
        for i in range(MONITORS):
            monitor = await conn.scalar(
                insert(monitors)
                .values(account_id=account, name=f"Service {i:03}")
                .returning(monitors.c.id)
            )
            test = await conn.scalar(
                insert(tests)
                .values(
                    account_id=account,
                    monitor_id=monitor,
                    kind="http",
                    region="local",
                    interval_s=60,
                    timeout_s=10,
                    config={"url": f"https://s{i}.example/"},
                )
                .returning(tests.c.id)
            )
            await conn.execute(
                insert(test_state).values(
                    test_id=test,
                    status=0 if i % 17 == 0 else 1,
                    since=now,
                    checked_at=now,
                    latency_ms=20.0,
                    region="local",
                )
            )
            for on in (page, year):
                await conn.execute(
                    insert(status_page_monitors).values(
                        page_id=on,
                        monitor_id=monitor,
                        account_id=account,
                        group_name=groups[i % 5],
                        position=i,
                    )
                )
        for statement in _HISTORY:
            await conn.execute(text(statement), {"account": account})
    await engine.dispose()


# What the pages show besides the states: a year of rollups per test (a failure now and
# then) and an incident every 30 days per monitor, each with an update.
_HISTORY = (
    """
INSERT INTO daily_rollups (test_id, day, checks, failures, degraded, latency_count,
                           latency_sum, sealed)
SELECT t.id, d::date, 1440, (t.id + (d::date - DATE '2000-01-01')) % 7, 0, 1440, 28800.0, true
FROM tests t, generate_series(current_date - 364, current_date, interval '1 day') d
WHERE t.account_id = :account
""",
    """
INSERT INTO incidents (test_id, monitor_id, state, cause, started_at, confirmed_at,
                       resolved_at, evidence)
SELECT t.id, t.monitor_id, 'resolved', 'failing in 1 region(s): local (timeout)', s, s,
       s + interval '20 minutes', '{"local": [{"at_ms": 0, "status": "down"}]}'
FROM tests t, LATERAL (SELECT now() - (k * 30 + t.id % 30) * interval '1 day' AS s
                       FROM generate_series(0, 11) k) x
WHERE t.account_id = :account
""",
    """
INSERT INTO incident_updates (incident_id, account_id, message)
SELECT i.id, :account, 'Resolved: a bad deploy was rolled back.'
FROM incidents i JOIN tests t ON t.id = i.test_id WHERE t.account_id = :account
""",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_api(database_url: str, cache_ttl: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "VIGIL_DATABASE_URL": database_url,
        "VIGIL_API_PORT": str(port),
        "VIGIL_PUBLIC_CACHE_TTL": cache_ttl,
        "VIGIL_LOG_LEVEL": "WARNING",
        "VIGIL_DIRECTORY_URL": "",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ops.cli", "api"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, f"http://127.0.0.1:{port}"


async def _wait_up(url: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"{url}/api/v1/health") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the API at {url} did not come up within {timeout_s:.0f} s")


PAGE = f"/api/v1/public/status-pages/{SLUG}"
BADGE = f"{PAGE}/badge.svg?kind=uptime&period=30d"  # made from the cached page
YEAR_PAGE = f"/api/v1/public/status-pages/{YEAR_SLUG}"


async def _load(
    url: str, think_s: float, path: str = PAGE, headers: dict[str, str] | None = None
) -> tuple[list[float], float]:
    """(latencies in ms after the warm-up, answers per second) of the clients; answers other
    than 200 (an overloaded uncached server's 503) are counted in `refused`, not timed."""
    page = f"{url}{path}"
    latencies: list[float] = []
    refused = [0]
    started = time.perf_counter()
    measure_from, stop_at = started + WARMUP_S, started + WARMUP_S + DURATION_S
    connector = aiohttp.TCPConnector(limit=CLIENTS)

    async def client(session: aiohttp.ClientSession, rng: random.Random) -> None:
        await asyncio.sleep(rng.uniform(0, think_s))
        while (sent := time.perf_counter()) < stop_at:
            async with session.get(page) as response:
                await response.read()
                assert response.status in (200, 503), response.status
            if response.status != 200:
                refused[0] += sent >= measure_from
            elif sent >= measure_from:
                latencies.append((time.perf_counter() - sent) * 1000)
            await asyncio.sleep(rng.uniform(think_s / 2, think_s * 1.5))

    # The answer is read as it comes, gzipped, not inflated: inflating 500 kB of a year's
    # bars costs the load generator, which shares the machine's two cores with the server,
    # more than the server's answer does (a visitor's browser inflates on its own machine).
    async with aiohttp.ClientSession(
        connector=connector, headers=headers, auto_decompress=False
    ) as session:
        await asyncio.gather(*(client(session, random.Random(i)) for i in range(CLIENTS)))
    if refused[0]:
        print(f"{url}: {refused[0]} requests refused (503) while measured", file=sys.stderr)
    return latencies, len(latencies) / DURATION_S


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _measure(
    database_url: str, cache_ttl: str, path: str = PAGE, headers: dict[str, str] | None = None
) -> tuple[list[float], float]:
    """(latencies with think time, requests per second without) of one server."""
    [(latencies, capacity)] = await _measure_each(database_url, cache_ttl, (path,), headers)
    return latencies, capacity


async def _measure_each(
    database_url: str, cache_ttl: str, paths: tuple[str, ...], headers: dict[str, str] | None = None
) -> list[tuple[list[float], float]]:
    """`_measure` of each path in turn, on one server (so they share its machine state)."""
    proc, url = _start_api(database_url, cache_ttl)
    try:
        await _wait_up(url)
        out = []
        for path in paths:
            latencies, _ = await _load(url, THINK_S, path, headers)
            _, capacity = await _load(url, 0.0, path, headers)
            out.append((latencies, capacity))
        return out
    finally:
        proc.terminate()
        proc.wait(10)


def bench_api(settings: Settings) -> Iterator[Line]:
    database_url = _scratch_url(settings.database_url)
    upgrade(database_url)
    try:
        asyncio.run(_seed(database_url))
        # The 90-day page (the baseline of the year's) and the 365-day one, on one server.
        (cached, cached_rps), (year, year_rps) = asyncio.run(
            _measure_each(database_url, "5", (PAGE, YEAR_PAGE))
        )
        frozen, _ = asyncio.run(_measure(database_url, "3600"))
        uncached, uncached_rps = asyncio.run(_measure(database_url, "0"))
        badge, _ = asyncio.run(_measure(database_url, "5", BADGE))
    finally:
        asyncio.run(drop_database(database_url))
    for name, q in (("p50", 0.5), ("p99", 0.99)):
        yield emit(
            "api",
            f"public_page_{name}_ms",
            _percentile(cached, q),
            "same_page_uncached",
            _percentile(uncached, q),
        )
        yield emit(
            "api",
            f"public_page_{name}_ms",
            _percentile(cached, q),
            "same_page_never_refreshed",
            _percentile(frozen, q),
        )
    # A year of bars beside 90 days, both cached, same server, same run.
    for name, q in (("p50", 0.5), ("p99", 0.99)):
        yield emit(
            "api",
            f"public_page_365d_{name}_ms",
            _percentile(year, q),
            "public_page_90d",
            _percentile(cached, q),
        )
    yield emit(
        "api",
        "public_page_365d_requests_per_s_no_think_time",
        year_rps,
        "public_page_90d",
        cached_rps,
    )
    # The badge beside the page it is made from, both cached, in the same run.
    yield emit(
        "api",
        "badge_p99_ms",
        _percentile(badge, 0.99),
        "public_page_cached",
        _percentile(cached, 0.99),
    )
    yield emit(
        "api",
        "public_page_requests_per_s_no_think_time",
        cached_rps,
        "same_page_uncached",
        uncached_rps,
    )
