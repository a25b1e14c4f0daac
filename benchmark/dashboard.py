"""`vigil bench dashboard`: the dashboard of an account with 10,000 monitors and a week of
results, through the real frontend and API (subprocesses, real sockets, real PostgreSQL).

Timed with sequential requests after a warm-up, as one user's browser makes them:
- the dashboard's first page (HTML, with the frontend's API calls behind it),
- a search by URL,
- the live refresh when nothing changed (the ETag sent back: a 304),
each at 10,000 monitors beside the same at 100 monitors (how it scales) and beside the code
of `main` (VIGIL_BENCH_BASELINE_REF, default "main") run the same way on the same database
in the same run: its dashboard fetched the first 200 monitors and re-rendered all of them
at every refresh. Figures and their reading: docs/PERFORMANCE.md.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from benchmark.api import _free_port, _scratch_url
from benchmark.runner import Line, emit
from ops.migrate import drop_database, upgrade
from result_processor import partitions
from shared import partitioning
from shared.config import Settings

ROOT = Path(__file__).resolve().parent.parent
BIG, SMALL = 10_000, 100
EVERY_MIN = int(os.environ.get("VIGIL_BENCH_RESULT_EVERY_MIN", "30"))  # a week of results
RUNS = int(os.environ.get("VIGIL_BENCH_RUNS", "60"))
PASSWORD = "bench-dashboard-password"

# One test a monitor, URLs and tags to search and filter by; about 1 % down, 2 % degraded,
# 0.5 % never checked (pending).
SEED = [
    """
INSERT INTO monitors (account_id, name, tags)
SELECT $1, 'Service ' || lpad(i::text, 5, '0'),
       ARRAY['team-' || (i % 20), CASE WHEN i % 2 = 0 THEN 'web' ELSE 'backend' END]
FROM generate_series(1, $2::int) i
""",
    """
INSERT INTO tests (monitor_id, account_id, kind, region, regions, interval_s, timeout_s, config)
SELECT m.id, $1, 'http', 'local', ARRAY['local'], 60, 10,
       jsonb_build_object('url', 'https://s' || m.id || '.example.com/health', 'method', 'GET',
                          'expected_status', jsonb_build_array(200))
FROM monitors m WHERE m.account_id = $1
""",
    """
INSERT INTO test_state (test_id, status, since, checked_at, latency_ms, http_status, region,
                        error)
SELECT t.id, CASE WHEN t.id % 97 = 0 THEN 0 WHEN t.id % 53 = 0 THEN 2 ELSE 1 END,
       now() - interval '3 hours', now() - (t.id % 60) * interval '1 second',
       20 + t.id % 80, CASE WHEN t.id % 97 = 0 THEN 503 ELSE 200 END, 'local',
       CASE WHEN t.id % 97 = 0 THEN 'HTTP 503' END
FROM tests t WHERE t.account_id = $1 AND t.id % 211 <> 0
""",
    """
INSERT INTO results_week (test_id, checked_at, region, node, status, latency_ms, http_status)
SELECT t.id, ts, 'local', 'node-1', 1, 20 + t.id % 80, 200
FROM tests t, generate_series(now() - interval '7 days', now(), $2::interval) ts
WHERE t.account_id = $1
""",
]


async def seed_account(
    conn: asyncpg.Connection, account_id: int, n: int, every: timedelta | None = None
) -> None:
    """`n` monitors with states (and a week of results every `every`) for the account, in
    bulk: a few INSERT ... SELECT statements, not `n` API calls."""
    await conn.execute(SEED[0], account_id, n)
    await conn.execute(SEED[1], account_id)
    await conn.execute(SEED[2], account_id)
    if every is not None:
        await conn.execute(SEED[3], account_id, every)


async def _week_partitions(conn: asyncpg.Connection, now: datetime) -> None:
    week = partitioning.WEEK
    for days in range(9):
        p = partitioning.partition_at(week, now - timedelta(days=days))
        if p.name not in await partitions.existing(conn, "results_week"):
            await partitions.create(conn, week, p)


@dataclass
class Server:
    procs: list[subprocess.Popen[bytes]]
    frontend: str
    api: str


def _start(code: Path, database_url: str) -> Server:
    """The API and the frontend of the code in `code`, on free ports."""
    api_port, web_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "VIGIL_DATABASE_URL": database_url,
        "VIGIL_API_PORT": str(api_port),
        "VIGIL_SIGNUP_CONFIRM": "false",  # its accounts are made at sign-up
        "VIGIL_FRONTEND_PORT": str(web_port),
        "VIGIL_API_URL": f"http://127.0.0.1:{api_port}",
        "VIGIL_LOG_LEVEL": "WARNING",
        "VIGIL_DIRECTORY_URL": "",
        "PYTHONPATH": str(code),
        "VIGIL_SECRET_KEY": "bench-dashboard-secret-key-long-enough",
        "VIGIL_AUTH_RATE_PER_IP": "1000",
        "VIGIL_AUTH_RATE_PER_EMAIL": "1000",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ops.cli", what],
            env=env,
            cwd=code,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for what in ("api", "frontend")
    ]
    server = Server(procs, f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{api_port}")
    _wait(f"{server.api}/api/v1/health")
    _wait(f"{server.frontend}/login")
    return server


def _wait(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout_s:.0f} s")


def _stop(server: Server) -> None:
    for proc in server.procs:
        proc.terminate()
    for proc in server.procs:
        proc.wait(10)


@contextmanager
def running(code: Path, database_url: str) -> Iterator[Server]:
    server = _start(code, database_url)
    try:
        yield server
    finally:
        _stop(server)


def login(frontend: str, email: str) -> httpx.Client:
    """A browser-like client logged in to the frontend through its form."""
    client = httpx.Client(base_url=frontend, timeout=30, follow_redirects=False)
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    data = {"email": email, "password": PASSWORD, "csrf_token": token.group(1) if token else ""}
    answer = client.post("/login", data=data)
    assert answer.status_code == 302, answer.text[:300]
    return client


def timed(
    client: httpx.Client, path: str, expect: int = 200, headers: dict[str, str] | None = None
) -> list[float]:
    for _ in range(3):  # warm-up: connections, caches, the planner's statistics
        assert client.get(path, headers=headers).status_code == expect, path
    out = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == expect, (path, response.status_code)
    return out


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _export(ref: str) -> Path:
    """The code of `ref` in a scratch directory, translations compiled, to run beside ours."""
    where = Path(tempfile.mkdtemp(prefix="vigil-bench-baseline-"))
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "-q",
            "compile",
            "-d",
            str(where / "frontend" / "translations"),
        ],
        check=True,
    )
    return where


async def _accounts(url: str, api: str) -> dict[int, str]:
    """Two accounts signed up through the API, seeded with BIG and SMALL monitors."""
    emails = {}
    async with httpx.AsyncClient(base_url=f"{api}/api/v1") as client:
        for n in (BIG, SMALL):
            email = f"bench-{n}@example.com"
            signed = await client.post("/auth/signup", json={"email": email, "password": PASSWORD})
            assert signed.status_code in (201, 202), signed.text  # 201: the first
            emails[n] = email
    conn = await asyncpg.connect(url)
    try:
        now = datetime.now(UTC)
        await _week_partitions(conn, now)
        for n, email in emails.items():
            account = await conn.fetchval("SELECT id FROM accounts WHERE email = $1", email)
            await seed_account(conn, account, n, timedelta(minutes=EVERY_MIN))
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return emails


def _measure(server: Server, email: str, etags: bool) -> dict[str, list[float]]:
    client = login(server.frontend, email)
    try:
        out = {"page": timed(client, "/dashboard")}
        if etags:
            out["search"] = timed(client, "/dashboard?q=s4242.example")
            first = client.get("/dashboard/data?sort=status")
            out["refresh"] = timed(
                client, "/dashboard/data?sort=status", 304, {"If-None-Match": first.headers["etag"]}
            )
        else:  # main's refresh: the whole table again, every time
            out["refresh"] = timed(client, "/dashboard/data")
    finally:
        client.close()
    return out


def bench_dashboard(settings: Settings) -> Iterator[Line]:
    url = _scratch_url(settings.database_url)
    upgrade(url)
    baseline = _export(os.environ.get("VIGIL_BENCH_BASELINE_REF", "main"))
    try:
        with running(ROOT, url) as ours:
            emails = asyncio.run(_accounts(url, ours.api))
            big = _measure(ours, emails[BIG], etags=True)
            small = _measure(ours, emails[SMALL], etags=True)
        with running(baseline, url) as main:
            main_big = _measure(main, emails[BIG], etags=False)
    finally:
        shutil.rmtree(baseline, ignore_errors=True)
        asyncio.run(drop_database(url))
    yield from _lines(big, small, main_big)


def _lines(
    big: dict[str, list[float]], small: dict[str, list[float]], main_big: dict[str, list[float]]
) -> Iterator[Line]:
    b = "dashboard"
    for q, name in ((0.5, "p50"), (0.99, "p99")):
        yield emit(
            b,
            f"first_page_10k_{name}_ms",
            p(big["page"], q),
            "same_page_100_monitors",
            p(small["page"], q),
        )
        yield emit(
            b,
            f"first_page_10k_{name}_ms",
            p(big["page"], q),
            "main_first_page_10k (200 rows, no counts)",
            p(main_big["page"], q),
        )
        yield emit(
            b,
            f"search_10k_{name}_ms",
            p(big["search"], q),
            "same_search_100_monitors",
            p(small["search"], q),
        )
        yield emit(
            b,
            f"refresh_unchanged_10k_{name}_ms",
            p(big["refresh"], q),
            "same_refresh_100_monitors",
            p(small["refresh"], q),
        )
        yield emit(
            b,
            f"refresh_unchanged_10k_{name}_ms",
            p(big["refresh"], q),
            "main_refresh_10k (whole table re-rendered)",
            p(main_big["refresh"], q),
        )
