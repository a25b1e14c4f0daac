"""A target goes down in two regions: one incident opens, the target recovers, it closes.

Real components as subprocesses (the scheduler, two executors with different --region, the
processor) on a database and a vhost of their own. The test runs in both regions
(`tests.regions`); the scheduler gives it to the live node of each, from their heartbeats.
The test reads the incidents table directly.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aio_pika
import asyncpg
import pytest
from aiohttp import web

from shared import amqp, names
from shared.codec import decode_event
from tests import services
from tests.helpers import short_name, wait_sync
from tests.targets import ThreadedServer

pytestmark = pytest.mark.e2e
REGIONS = ("eu", "us")


class Switch:
    """A site whose health the test turns on and off."""

    def __init__(self) -> None:
        self.healthy = True
        app = web.Application()
        app.add_routes([web.get("/", self.page)])
        self.server = ThreadedServer(app).start()

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(status=200 if self.healthy else 503, text="shop")


@pytest.fixture(scope="module")
def system(tmp_path_factory) -> Iterator[tuple[str, str, str]]:
    """Scheduler, processor and two executors; yields (database url, amqp url, cell)."""
    db_name, database_url = services.create_migrated_database("vigil_e2e_inc")
    vhost, amqp_url = services.create_vhost("vigil-e2e-inc")
    cell = short_name("c")
    logs = tmp_path_factory.mktemp("incident-logs")
    base = {
        **os.environ,
        "VIGIL_DATABASE_URL": database_url,
        "VIGIL_AMQP_URL": amqp_url,
        "VIGIL_CELL": cell,
        "VIGIL_ALLOW_PRIVATE_TARGETS": "true",
        "VIGIL_BATCH_MAX_DELAY": "0.2",
        "VIGIL_LOG_FORMAT": "text",
        "VIGIL_SCHEDULER_POLL": "0.2",
        "VIGIL_HEARTBEAT_INTERVAL": "0.5",
        "VIGIL_NODE_DEAD_AFTER": "5",
    }
    asyncio.run(_declare_notifications_queue(amqp_url, cell))
    procs = [
        _start(["processor"], base, logs / "processor.log"),
        _start(["scheduler"], base, logs / "scheduler.log"),
    ]
    for region in REGIONS:
        env = {
            **base,
            "VIGIL_NODE_ID": _node(region),
            "VIGIL_STATE_DIR": str(tmp_path_factory.mktemp(f"state-{region}")),
        }
        procs.append(_start(["executor", "--region", region], env, logs / f"{region}.log"))
    try:
        yield database_url, amqp_url, cell
        for proc in procs:
            assert proc.poll() is None, f"{proc.args} died; logs in {logs}"
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        services.delete_vhost(vhost)
        services.drop_database_sync(db_name)


def _node(region: str) -> str:
    return f"node-{region}"


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ops.cli", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )


async def _declare_notifications_queue(amqp_url: str, cell: str) -> None:
    conn = await aio_pika.connect(amqp_url)
    async with conn:
        channel = await conn.channel()
        await amqp.notifications_queue(channel, cell)


async def _query(url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


def _make_test(url: str, target: str, interval_s: int = 1, retries: int = 1) -> int:
    rows = asyncio.run(
        _query(
            url,
            """
        WITH a AS (INSERT INTO accounts (email, password_hash) VALUES ($5, 'x') RETURNING id),
             m AS (INSERT INTO monitors (account_id, name) SELECT id, 'Shop' FROM a
                   RETURNING id, account_id)
        INSERT INTO tests (monitor_id, account_id, kind, region, regions, interval_s, timeout_s,
                           config, alert_rule)
        SELECT m.id, m.account_id, 'http', $3, $4, $6, 0.5, $1, $2 FROM m RETURNING id""",
            json.dumps({"url": f"{target}/", "retries": retries}),
            '{"retries": 1, "regions": 2}',
            REGIONS[0],
            list(REGIONS),
            f"{short_name('e2e')}@example.com",
            interval_s,
        )
    )
    return rows[0]["id"]


def _events(amqp_url: str, cell: str) -> list[tuple[str, str]]:
    async def drain() -> list[tuple[str, str]]:
        conn = await aio_pika.connect(amqp_url)
        async with conn:
            channel = await conn.channel()
            queue = await channel.declare_queue(names.notifications_queue(cell), passive=True)
            out = []
            while (message := await queue.get(fail=False)) is not None:
                await message.ack()
                event = decode_event(message.body)
                out.append((event.kind, event.state))
            return out

    return asyncio.run(drain())


def test_down_in_two_regions_opens_one_incident_that_closes_on_recovery(system) -> None:
    database_url, amqp_url, cell = system
    site = Switch()
    test_id = _make_test(database_url, site.server.url)
    sql = "SELECT DISTINCT region FROM results WHERE test_id = $1 AND status = $2"
    wait_sync(
        lambda: len(asyncio.run(_query(database_url, sql, test_id, 1))) == 2,
        "up results from both regions",
    )

    site.healthy = False
    incident_sql = "SELECT * FROM incidents WHERE test_id = $1"
    [opened] = wait_sync(
        lambda: asyncio.run(_query(database_url, incident_sql, test_id)), "an incident to open"
    )
    assert opened["state"] == "down" and opened["confirmed_at"] >= opened["started_at"]
    assert set(json.loads(opened["evidence"])) == set(REGIONS)

    site.healthy = True
    closed_sql = incident_sql + " AND resolved_at IS NOT NULL"
    wait_sync(
        lambda: asyncio.run(_query(database_url, closed_sql, test_id)), "the incident to close"
    )
    [closed] = asyncio.run(_query(database_url, incident_sql, test_id))
    assert closed["id"] == opened["id"] and closed["state"] == "resolved"
    events: list[tuple[str, str]] = []
    wait_sync(
        lambda: events.extend(_events(amqp_url, cell)) or ("resolved", "resolved") in events,
        "the resolved event",
    )
    assert events[0] == ("opened", "down") and events[-1] == ("resolved", "resolved")
    site.server.stop()


def test_a_failure_is_confirmed_by_the_other_region_at_once_not_at_the_next_interval(
    system,
) -> None:
    """Check now: no retry on the node and a rule that wants two failures per region, so
    each region's first failure alone confirms nothing; the other region's check-now answer
    (asked for through the scheduler) is each region's second failure, seconds later."""
    database_url, _, _ = system
    site = Switch()
    test_id = _make_test(database_url, site.server.url, interval_s=10, retries=0)
    sql = "SELECT DISTINCT region FROM results WHERE test_id = $1 AND status = $2"
    wait_sync(
        lambda: len(asyncio.run(_query(database_url, sql, test_id, 1))) == 2,
        "up results from both regions",
    )

    site.healthy = False
    incident_sql = "SELECT * FROM incidents WHERE test_id = $1"
    [opened] = wait_sync(
        lambda: asyncio.run(_query(database_url, incident_sql, test_id)), "an incident to open"
    )
    took = (opened["confirmed_at"] - opened["started_at"]).total_seconds()
    assert took < 5, f"confirmed {took} s after the first failure: not by a check-now"
    asked = asyncio.run(
        _query(
            database_url,
            "SELECT region, extras->>'check_now_for' AS asker FROM results "
            "WHERE test_id = $1 AND extras->>'check_now_for' IS NOT NULL",
            test_id,
        )
    )
    assert asked and all(r["asker"] in REGIONS and r["asker"] != r["region"] for r in asked)
    site.healthy = True
    site.server.stop()
