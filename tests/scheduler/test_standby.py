"""Two `vigil scheduler` processes on one cell, with a real executor checking a counting
target: one leads, one stands by; SIGKILL the leader and the standby leads within
VIGIL_SCHEDULER_TAKEOVER while every test keeps its slots (no gap over one interval, no
second check in a slot); deletions are pruned right with both running."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aio_pika
import asyncpg
import httpx
import pytest
from aiohttp import web

from shared import amqp
from tests import services
from tests.helpers import eventually, short_name
from tests.targets import ThreadedServer, free_port

pytestmark = pytest.mark.integration

INTERVAL_S = 2
TAKEOVER_S = 3.0
TESTS = 4


@dataclass
class Hits:
    """Arrival times (wall clock, s) of the checks at the target, by test id."""

    at: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))

    def app(self) -> web.Application:
        async def hit(request: web.Request) -> web.Response:
            self.at[int(request.match_info["test"])].append(time.time())
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_get("/t/{test}", hit)
        return app

    def count(self, test_id: int) -> int:
        return len(self.at.get(test_id, []))


@dataclass
class Cell:
    name: str
    region: str
    database_url: str
    env: dict[str, str]
    logs: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> None:
        self.ports[name] = free_port()
        env = {**self.env, "VIGIL_METRICS_PORT": str(self.ports[name])}
        with open(self.logs / f"{name}.log", "ab") as out:
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "ops.cli", *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def readyz(self, name: str) -> dict | None:
        try:
            answer = httpx.get(f"http://127.0.0.1:{self.ports[name]}/readyz", timeout=2)
        except httpx.TransportError:
            return None
        return {"status": answer.status_code, **answer.json()}

    async def role(self, name: str) -> str | None:
        body = await asyncio.to_thread(self.readyz, name)
        return body.get("role") if body and body["status"] == 200 else None

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def hits() -> Iterator[Hits]:
    h = Hits()
    server = ThreadedServer(h.app()).start()
    h.url = server.url  # type: ignore[attr-defined]
    yield h
    server.stop()


@pytest.fixture
async def cell(amqp_url: str, tmp_path: Path) -> Cell:
    db_name, url = await asyncio.to_thread(services.create_migrated_database, "vigil_standby")
    name, region = short_name("s"), short_name("r")
    env = {
        **os.environ,
        "VIGIL_DATABASE_URL": url,
        "VIGIL_AMQP_URL": amqp_url,
        "VIGIL_CELL": name,
        "VIGIL_REGION": region,
        "VIGIL_NODE_ID": "n1",
        "VIGIL_LOG_FORMAT": "text",
        "VIGIL_ALLOW_PRIVATE_TARGETS": "true",
        "VIGIL_SCHEDULER_POLL": "0.2",
        "VIGIL_SCHEDULER_TAKEOVER": str(TAKEOVER_S),
        "VIGIL_HEARTBEAT_INTERVAL": "0.5",
        "VIGIL_NODE_DEAD_AFTER": "5",
        "VIGIL_BATCH_MAX_DELAY": "0.2",
        "VIGIL_STATE_DIR": str(tmp_path / "state"),
    }
    c = Cell(name, region, url, env, tmp_path)
    broker = await aio_pika.connect(amqp_url)
    channel = await broker.channel()
    results = await amqp.results_queue(channel, name)  # the executor's results land here
    try:
        yield c
    finally:
        c.stop_all()
        await results.delete(if_unused=False, if_empty=False)
        await broker.close()
        await services.drop_database(db_name)


async def _insert(
    conn: asyncpg.Connection, region: str, url: str, test_id: int | None = None
) -> int:
    account = await conn.fetchval("SELECT id FROM accounts LIMIT 1") or await conn.fetchval(
        "INSERT INTO accounts (email, password_hash) VALUES ('s@example.com', 'x') RETURNING id"
    )
    monitor = await conn.fetchval(
        "INSERT INTO monitors (account_id, name) VALUES ($1, 'm') RETURNING id", account
    )
    if test_id is None:
        test_id = await conn.fetchval("SELECT nextval(pg_get_serial_sequence('tests', 'id'))")
    return await conn.fetchval(
        "INSERT INTO tests (id, monitor_id, account_id, kind, region, interval_s, timeout_s,"
        " config) VALUES ($1, $2, $3, 'http', $4, $5, 2, $6::jsonb) RETURNING id",
        test_id,
        monitor,
        account,
        region,
        INTERVAL_S,
        json.dumps({"url": f"{url}/t/{test_id}"}),
    )


async def _checked(hits: Hits, test_id: int, more_than: int, what: str) -> None:
    await eventually(lambda: _true(hits.count(test_id) > more_than), what, timeout=8 * INTERVAL_S)


async def _true(value: bool) -> bool:
    return value


async def _leader(cell: Cell, *names_: str) -> str:
    async def one() -> str | None:
        roles = {n: await cell.role(n) for n in names_}
        leading = [n for n, r in roles.items() if r == "leading"]
        assert len(leading) <= 1, f"two schedulers lead at once: {roles}"
        return leading[0] if leading else None

    return await eventually(one, f"one of {names_} to lead", timeout=30, every=0.1)


def _assert_slots(hits: Hits, test_ids: list[int], since: float) -> None:
    """Every check one interval after the last: no gap over one interval (a missed slot), no
    two checks in one slot (a double check). The target's clock has a little jitter."""
    for test_id in test_ids:
        times = [t for t in hits.at[test_id] if t >= since]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert gaps, f"test {test_id} was not checked after {since}"
        assert max(gaps) < INTERVAL_S * 1.5, f"test {test_id} missed a slot: gaps {gaps}"
        assert min(gaps) > INTERVAL_S * 0.5, f"test {test_id} was checked twice: gaps {gaps}"


async def test_sigkill_the_leader_and_the_standby_leads_with_no_gap_and_no_double(
    cell: Cell, hits: Hits
) -> None:
    conn = await asyncpg.connect(cell.database_url)
    try:
        ids = [await _insert(conn, cell.region, hits.url) for _ in range(TESTS)]
        await _leader_standby_executor(cell)
        for test_id in ids:
            await _checked(hits, test_id, 2, f"test {test_id} to be checked three times")
        since = time.time()

        cell.procs["scheduler-1"].send_signal(signal.SIGKILL)
        killed = time.monotonic()
        assert await _leader(cell, "scheduler-2") == "scheduler-2"
        took = time.monotonic() - killed
        assert took < TAKEOVER_S, f"the standby led {took:.1f} s after the leader died"

        # The new leader serves for real: a new test reaches the executor through it.
        added = await _insert(conn, cell.region, hits.url)
        await _checked(hits, added, 0, "a test added after the takeover to be checked")
        await asyncio.sleep(4 * INTERVAL_S)
        _assert_slots(hits, ids, since)
    finally:
        await conn.close()


async def _leader_standby_executor(cell: Cell) -> None:
    """scheduler-1 leads, then scheduler-2 stands by, then the executor starts."""
    cell.start("scheduler-1", "scheduler")
    assert await _leader(cell, "scheduler-1") == "scheduler-1"
    cell.start("scheduler-2", "scheduler")
    await eventually(
        lambda: _role_is(cell, "scheduler-2", "standby"), "the second scheduler to stand by (ready)"
    )
    cell.start("executor", "executor", "--region", cell.region)


async def _role_is(cell: Cell, name: str, want: str) -> bool:
    return await cell.role(name) == want


async def test_deletions_are_pruned_right_with_two_schedulers(cell: Cell, hits: Hits) -> None:
    conn = await asyncpg.connect(cell.database_url)
    try:
        kept = await _insert(conn, cell.region, hits.url)
        cell.start("scheduler-1", "scheduler")
        cell.start("scheduler-2", "scheduler")
        await _leader(cell, "scheduler-1", "scheduler-2")
        cell.start("executor", "executor", "--region", cell.region)
        gone = await _insert(conn, cell.region, hits.url)
        await _checked(hits, gone, 0, "the test to be checked before its deletion")

        await conn.execute("DELETE FROM tests WHERE id = $1", gone)
        await eventually(lambda: _none_left(conn), "the leader to prune the deletion")
        await asyncio.sleep(INTERVAL_S)  # a check already under way may still land
        stopped_at = hits.count(gone)
        await asyncio.sleep(2 * INTERVAL_S)
        assert hits.count(gone) == stopped_at, "a deleted test is still checked"

        await _insert(conn, cell.region, hits.url, test_id=gone)  # the same id, re-created
        await _checked(hits, gone, stopped_at, "the re-created test to be checked again")
        await _checked(hits, kept, 2, "the kept test to go on being checked")
        assert await conn.fetchval("SELECT count(*) FROM test_deletions") == 0
    finally:
        await conn.close()


async def _none_left(conn: asyncpg.Connection) -> bool:
    return await conn.fetchval("SELECT count(*) FROM test_deletions") == 0


async def test_a_stopped_leader_is_fenced_and_steps_down_when_it_wakes(
    cell: Cell, hits: Hits
) -> None:
    """SIGSTOP freezes the leader and its watchdog with it, and its socket stays open: only
    its silence tells. The standby ends its session and leads; woken, the old one stands by."""
    conn = await asyncpg.connect(cell.database_url)
    try:
        ids = [await _insert(conn, cell.region, hits.url) for _ in range(2)]
        await _leader_standby_executor(cell)
        await _checked(hits, ids[0], 1, "the executor to check")

        cell.procs["scheduler-1"].send_signal(signal.SIGSTOP)
        stopped = time.monotonic()
        await eventually(
            lambda: _role_is(cell, "scheduler-2", "leading"),
            "the standby to lead while the leader is stopped",
            timeout=30,
        )
        took = time.monotonic() - stopped
        assert took < TAKEOVER_S * 1.5 + 1, f"the standby led {took:.1f} s after the stop"
        added = await _insert(conn, cell.region, hits.url)
        await _checked(hits, added, 0, "a test added under the new leader to be checked")

        cell.procs["scheduler-1"].send_signal(signal.SIGCONT)
        await eventually(
            lambda: _role_is(cell, "scheduler-1", "standby"),
            "the woken leader to stand by",
            timeout=30,
        )
        assert await cell.role("scheduler-2") == "leading"
    finally:
        if cell.procs.get("scheduler-1"):
            cell.procs["scheduler-1"].send_signal(signal.SIGCONT)
        await conn.close()
