"""A certificate nearing expiry, told once, for real: the executor's HTTPS and TLS checks
against local servers (a 5-day and a 60-day certificate), their results published as the
executor publishes them, the processor (restarted on the way, a batch delivered twice), the
notifier, a signed-webhook receiver and an SMTP sink."""

from __future__ import annotations

import asyncio
import json
import math
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import aio_pika
import asyncpg
import pytest
from aiohttp import web
from prometheus_client import REGISTRY

from executor.checks import get as check_of
from notifier.channels.webhook import verify
from notifier.service import serve as notifier
from result_processor.service import serve as processor
from shared import amqp, names
from shared.codec import encode_batch, encode_cert_event
from shared.config import Settings
from shared.messages import CertEvent, Result, ResultBatch, Status, TestSpec
from shared.secrets import encrypt_json
from tests.executor.checks.peers import context
from tests.executor.checks.tlspeer import CA_PEM, server_context, tls_server
from tests.helpers import eventually, short_name
from tests.targets import free_port

pytestmark = pytest.mark.integration
KEY = "cert-notice-key"
WEBHOOK_SECRET = "cert-webhook-secret-0123"


async def _https_site(days: float) -> AsyncIterator[str]:
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="shop")

    app = web.Application()
    app.router.add_get("/", ok)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=server_context(days=days)).start()
    try:
        yield f"https://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()


https_site = asynccontextmanager(_https_site)


class World:
    """The rows of one account: monitors, tests and channels, in the cell's database."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.account = 0

    async def start(self) -> World:
        self.account = await self.conn.fetchval(
            "INSERT INTO accounts (email, password_hash) VALUES ($1, 'x') RETURNING id",
            f"{short_name('c')}@example.com",
        )
        return self

    async def monitor(self, name: str) -> int:
        return await self.conn.fetchval(
            "INSERT INTO monitors (account_id, name) VALUES ($1, $2) RETURNING id",
            self.account,
            name,
        )

    async def test(self, monitor: int, kind: str, config: dict[str, object]) -> TestSpec:
        config = {**config, "ca_pem": CA_PEM}
        test_id = await self.conn.fetchval(
            "INSERT INTO tests (monitor_id, account_id, kind, region, interval_s, timeout_s, "
            "config) VALUES ($1, $2, $3, 'local', 60, 5, $4) RETURNING id",
            monitor,
            self.account,
            kind,
            json.dumps(config),
        )
        return TestSpec(test_id, "c", "local", kind, 60, 5.0, config, 1)

    async def channel(self, kind: str, config: dict[str, object], *monitors: int) -> int:
        channel = await self.conn.fetchval(
            "INSERT INTO notification_channels (account_id, name, kind, config, secrets) "
            "VALUES ($1, $2, $3, '{}', $4) RETURNING id",
            self.account,
            kind,
            kind,
            encrypt_json(KEY, config),
        )
        for monitor in monitors:
            await self.conn.execute(
                "INSERT INTO channel_monitors (channel_id, monitor_id, "
                "account_id) VALUES ($1, $2, $3)",
                channel,
                monitor,
                self.account,
            )
        return channel


async def _check(specs: list[TestSpec], cell: str) -> ResultBatch:
    """Every test checked once by the executor's own check code: one batch of results."""
    results = []
    async with context() as ctx:
        for spec in specs:
            at = int(time.time() * 1000)
            o = await check_of(spec.kind)(spec, ctx)
            results.append(
                Result(
                    spec.id,
                    at,
                    o.status,
                    o.latency_ms,
                    o.http_status,
                    o.error_kind,
                    o.error,
                    o.extras,
                )
            )
    return ResultBatch(uuid.uuid4().bytes, cell, "local", "node-1", results)


def _garbage(like: Result, cell: str) -> ResultBatch:
    """Later checks of the same test whose certificate days are nonsense."""
    at = int(time.time() * 1000)
    rows = [
        like._replace(checked_at_ms=at + i, extras={"cert_days": days})
        for i, days in enumerate(["soon", -3, math.nan, 10**9])
    ]
    return ResultBatch(uuid.uuid4().bytes, cell, "local", "node-1", rows)


def _when(batch: ResultBatch) -> datetime:
    return datetime.fromtimestamp(batch.results[0].checked_at_ms / 1000, UTC)


async def _publish(amqp_url: str, exchange: str, kind: str, key: str, *bodies: bytes) -> None:
    conn = await aio_pika.connect(amqp_url)
    async with conn:
        channel = await conn.channel()
        ex = await channel.declare_exchange(exchange, kind, durable=True)
        for body in bodies:
            await ex.publish(amqp.persistent(body), routing_key=key)


@asynccontextmanager
async def running(service, settings: Settings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(service(settings, stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


async def _consumed(amqp_url: str, queue: str) -> bool:
    conn = await aio_pika.connect(amqp_url)
    async with conn:
        channel = await conn.channel()
        try:
            q = await channel.declare_queue(queue, passive=True)
        except aio_pika.exceptions.ChannelClosed:
            return False
        return (q.declaration_result.consumer_count or 0) > 0


def _metric(name: str, outcome: str) -> float:
    return REGISTRY.get_sample_value(name, {"outcome": outcome}) or 0.0


async def test_a_certificate_near_its_end_is_told_once_per_channel(
    database_url: str, amqp_url: str, conn, smtp, receiver
) -> None:
    sink, smtp_port = smtp
    cell = short_name("k")
    settings = Settings.from_env(
        {
            "VIGIL_DATABASE_URL": database_url,
            "VIGIL_AMQP_URL": amqp_url,
            "VIGIL_CELL": cell,
            "VIGIL_SECRET_KEY": KEY,
            "VIGIL_NOTIFY_ALLOW_PRIVATE": "true",
            "VIGIL_NOTIFY_BACKOFF_BASE": "50",
            "VIGIL_NOTIFY_TIMEOUT": "5",
        }
    )
    world = await World(conn).start()
    shop = await world.monitor("Shop")
    api = await world.monitor("API")
    quiet = await world.monitor("Quiet")  # under maintenance
    now = datetime.now(UTC)
    await conn.execute(
        "INSERT INTO maintenance_windows (account_id, title, starts_at, ends_at,"
        " monitor_id) VALUES ($1, 'move', $2, $3, $4)",
        world.account,
        now - timedelta(hours=1),
        now + timedelta(hours=1),
        quiet,
    )
    webhook = await world.channel(
        "webhook", {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET}, shop, api, quiet
    )
    mail = await world.channel(
        "email",
        {"to": ["ops@example.com"], "host": "127.0.0.1", "port": smtp_port, "security": "plain"},
        shop,
        api,
    )

    async with https_site(days=5) as expiring, tls_server(server_context(days=60)) as port:
        specs = [
            await world.test(shop, "http", {"url": expiring}),
            await world.test(api, "tls", {"url": f"tls://127.0.0.1:{port}"}),
            await world.test(quiet, "http", {"url": expiring}),
        ]
        batches = [await _check(specs, cell) for _ in range(3)]
    soon, healthy, muted = (r for r in batches[0].results)
    assert (soon.status, soon.error_kind) == (Status.DEGRADED, "cert_expiring")
    assert 4.9 < soon.extras["cert_days"] <= 5 and healthy.status is Status.UP
    assert 59.9 < healthy.extras["cert_days"] <= 60
    assert muted.error_kind == "cert_expiring"  # seen, but its monitor is under maintenance
    bodies = [encode_batch(b) for b in batches]

    async def stored(*wanted: ResultBatch) -> bool:
        have = await conn.fetchval(
            "SELECT count(*) FROM processed_batches WHERE batch_id = any($1::bytea[])",
            [b.batch_id for b in wanted],
        )
        return have == len(wanted)

    async with running(notifier, settings):
        await eventually(
            lambda: _consumed(amqp_url, names.notifications_queue(cell)), "the notifier's fan-out"
        )
        async with running(processor, settings):
            await eventually(
                lambda: _consumed(amqp_url, names.results_queue(cell)), "the processor"
            )
            await _publish(amqp_url, names.RESULTS_EXCHANGE, "direct", cell, *bodies[:2])
            await eventually(lambda: stored(*batches[:2]), "the first checks stored")
            await eventually(
                lambda: asyncio.sleep(0, len(sink.messages) == 1 and len(receiver.requests) == 1),
                "one email and one webhook",
            )
        # A restarted processor, the rest of the checks and a batch delivered a second time.
        duplicates = _metric("vigil_processor_batches_total", "duplicate")
        garbage = _garbage(soon, cell)
        async with running(processor, settings):
            await _publish(
                amqp_url,
                names.RESULTS_EXCHANGE,
                "direct",
                cell,
                bodies[2],
                bodies[0],
                encode_batch(garbage),
            )
            await eventually(lambda: stored(batches[2], garbage), "the last checks stored")
            await eventually(
                lambda: asyncio.sleep(
                    0, _metric("vigil_processor_batches_total", "duplicate") > duplicates
                ),
                "the redelivered batch skipped",
            )
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM event_outbox WHERE routing_key = $1", names.cert_key(cell)
            )
            == 0
        )  # nothing left to publish
        # Garbage days cost neither the batch nor a result: the codec drops a text, NaN and an
        # absurd figure from the results' extras and stores the results; an expired
        # certificate (-3 days) is stored with its days.
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM results WHERE test_id = $1 AND checked_at >= $2",
                soon.test_id,
                _when(garbage),
            )
            == 4
        )
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM rejected_results WHERE batch_id = $1", garbage.batch_id
            )
            == 0
        )

        # The same event twice more (a replay): the ledger sends each delivery once.
        [row] = await conn.fetch(
            "SELECT * FROM cert_notices WHERE test_id = any($1)", [s.id for s in specs]
        )
        assert row["test_id"] == soon.test_id
        replay = CertEvent(
            cell,
            soon.test_id,
            shop,
            soon.checked_at_ms + round(soon.extras["cert_days"] * 86_400_000),
            soon.checked_at_ms,
            4.5,
            "local",
        )
        assert replay.expires_on == row["expires_on"].isoformat()
        dropped = _metric("vigil_notifier_deliveries_total", "duplicate")
        await _publish(
            amqp_url,
            names.EVENTS_EXCHANGE,
            "topic",
            names.cert_key(cell),
            encode_cert_event(replay),
            encode_cert_event(replay),
        )
        await eventually(
            lambda: asyncio.sleep(
                0, _metric("vigil_notifier_deliveries_total", "duplicate") >= dropped + 4
            ),
            "both channels' copies of both replays dropped",
        )

    [hook] = receiver.requests
    assert verify(
        WEBHOOK_SECRET,
        hook.headers["X-Vigil-Timestamp"],
        hook.body,
        hook.headers["X-Vigil-Signature"],
    )
    doc = hook.json()
    assert (doc["event"], doc["notification"]["monitor"]) == ("cert_expiring", "Shop")
    assert doc["notification"]["expires_at"].startswith(row["expires_on"].isoformat())
    assert doc["notification"]["extra"]["test_id"] == soon.test_id
    [message] = sink.messages
    assert "certificate of Shop expires soon" in message["Subject"]
    key = f"cert/{cell}/{soon.test_id}/{replay.expires_on}"
    assert message["X-Vigil-Key"] == hook.headers["X-Vigil-Key"] == key
    attempts = await conn.fetch(
        "SELECT idempotency_key, outcome FROM notification_attempts "
        "WHERE idempotency_key LIKE $1 ORDER BY channel_id",
        f"cert/{cell}/%",
    )
    assert [(a["idempotency_key"], a["outcome"]) for a in attempts] == [
        (f"{key}/{webhook}", "sent"),
        (f"{key}/{mail}", "sent"),
    ]
