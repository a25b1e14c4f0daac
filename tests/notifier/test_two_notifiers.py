"""Two `vigil notifier` processes on one cell under a burst of incident events, each sent
three times (as a processor's outbox replays them after a crash): a real webhook receiver
sees every delivery exactly once. The ledger's claim makes it so, not the queue."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
import asyncpg
import pytest
from aiohttp import web

from shared import amqp, names
from shared.codec import encode_incident_event
from shared.messages import IncidentEvent
from shared.secrets import encrypt_json
from tests.helpers import eventually, short_name
from tests.targets import ThreadedServer

pytestmark = pytest.mark.integration

SECRET_KEY = "two-notifiers-key"
INCIDENTS = 40
CHANNELS = 2
COPIES = 3


class Sink:
    """Counts the webhook posts by channel and idempotency key."""

    def __init__(self) -> None:
        self.keys: Counter[tuple[str, str]] = Counter()

    def app(self) -> web.Application:
        async def post(request: web.Request) -> web.Response:
            await request.read()
            self.keys[(request.match_info["n"], request.headers["X-Vigil-Key"])] += 1
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_post("/hook/{n}", post)
        return app


@pytest.fixture
def sink() -> AsyncIterator[tuple[Sink, str]]:
    s = Sink()
    server = ThreadedServer(s.app()).start()
    yield s, server.url
    server.stop()


async def _estate(conn: asyncpg.Connection, url: str) -> tuple[int, list[tuple[int, int]]]:
    """An account with CHANNELS webhooks on one monitor, and INCIDENTS open incidents of its
    tests. Returns the monitor and (incident, test) pairs."""
    account = await conn.fetchval(
        "INSERT INTO accounts (email, password_hash) VALUES ($1, 'x') RETURNING id",
        f"{short_name('n')}@example.com",
    )
    monitor = await conn.fetchval(
        "INSERT INTO monitors (account_id, name) VALUES ($1, 'Shop') RETURNING id", account
    )
    for n in range(CHANNELS):
        channel = await conn.fetchval(
            "INSERT INTO notification_channels (account_id, name, kind, config, secrets)"
            " VALUES ($1, $2, 'webhook', '{}', $3) RETURNING id",
            account,
            f"hook{n}",
            encrypt_json(SECRET_KEY, {"url": f"{url}/hook/{n}", "secret": "s" * 16}),
        )
        await conn.execute(
            "INSERT INTO channel_monitors (channel_id, monitor_id, account_id) VALUES ($1, $2, $3)",
            channel,
            monitor,
            account,
        )
    incidents = []
    for _ in range(INCIDENTS):  # one test each: a test has one open incident at most
        test = await conn.fetchval(
            "INSERT INTO tests (monitor_id, account_id, kind, region, interval_s, timeout_s,"
            " config) VALUES ($1, $2, 'http', 'eu', 60, 5, $3) RETURNING id",
            monitor,
            account,
            json.dumps({"url": "https://shop.example/"}),
        )
        incidents.append(
            (
                await conn.fetchval(
                    "INSERT INTO incidents (test_id, monitor_id, state, cause, started_at,"
                    " confirmed_at, evidence)"
                    " VALUES ($1, $2, 'down', 'failing', now(), now(), '{}') RETURNING id",
                    test,
                    monitor,
                ),
                test,
            )
        )
    return monitor, incidents


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ops.cli", "notifier"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def _consumers(amqp_url: str, queue: str) -> int:
    conn = await aio_pika.connect(amqp_url)
    async with conn:
        channel = await conn.channel()
        try:
            q = await channel.declare_queue(queue, passive=True)
        except aio_pika.exceptions.ChannelClosed:
            return 0
        return q.declaration_result.consumer_count or 0


async def test_two_notifiers_send_each_delivery_once(
    database_url: str, amqp_url: str, sink: tuple[Sink, str], tmp_path: Path
) -> None:
    counter, url = sink
    cell = short_name("n")
    conn = await asyncpg.connect(database_url)
    try:
        monitor, incidents = await _estate(conn, url)
    finally:
        await conn.close()
    env = {
        **os.environ,
        "VIGIL_DATABASE_URL": database_url,
        "VIGIL_AMQP_URL": amqp_url,
        "VIGIL_CELL": cell,
        "VIGIL_SECRET_KEY": SECRET_KEY,
        "VIGIL_LOG_FORMAT": "text",
        "VIGIL_NOTIFY_ALLOW_PRIVATE": "true",
        "VIGIL_NOTIFY_TIMEOUT": "5",
    }
    procs = [_start(env, tmp_path / f"notifier-{n}.log") for n in (1, 2)]
    try:
        for queue in (names.notifications_queue(cell), names.deliveries_queue(cell)):
            await eventually(
                lambda q=queue: _both(amqp_url, q, procs), f"both notifiers to consume {queue}"
            )
        await _burst(amqp_url, cell, monitor, incidents)
        expected = {
            (str(n), f"incident/{cell}/{i}/opened") for i, _ in incidents for n in range(CHANNELS)
        }

        async def all_sent() -> bool:
            return set(counter.keys) >= expected

        await eventually(all_sent, "every delivery to reach the receiver", timeout=60)
        await asyncio.sleep(2)  # a second send would come now, if it came at all
        assert set(counter.keys) == expected
        twice = {k: n for k, n in counter.keys.items() if n != 1}
        assert not twice, f"deliveries sent more than once: {twice}"
        assert all(p.poll() is None for p in procs), "a notifier died"
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(20)


async def _both(amqp_url: str, queue: str, procs: list[subprocess.Popen[bytes]]) -> bool:
    assert all(p.poll() is None for p in procs), "a notifier exited at start"
    return await _consumers(amqp_url, queue) == 2


async def _burst(amqp_url: str, cell: str, monitor: int, incidents: list[tuple[int, int]]) -> None:
    """Every opening COPIES times, interleaved, as fast as the broker takes them."""
    now = int(datetime.now(UTC).timestamp() * 1000)
    conn = await aio_pika.connect(amqp_url)
    async with conn:
        channel = await conn.channel()
        events = await channel.declare_exchange(names.EVENTS_EXCHANGE, "topic", durable=True)
        for _ in range(COPIES):
            for incident, test in incidents:
                event = IncidentEvent(
                    "opened",
                    cell,
                    incident,
                    test,
                    monitor,
                    "down",
                    "failing",
                    now - 60_000,
                    now - 30_000,
                    None,
                )
                await events.publish(
                    amqp.persistent(encode_incident_event(event)),
                    routing_key=names.incident_key("opened", cell),
                )
