"""The scheduler against the real PostgreSQL and RabbitMQ."""

import asyncio
import json
from collections.abc import AsyncIterator

import aio_pika
import asyncpg
import pytest
from aio_pika.abc import AbstractQueue

from scheduler.service import serve
from shared import amqp, names
from shared.codec import decode_assignment, encode_resync
from shared.config import Settings
from shared.messages import Assignment, ResyncRequest
from tests.helpers import short_name

pytestmark = pytest.mark.integration


async def _insert_test(conn: asyncpg.Connection, region: str, url: str) -> int:
    account = await conn.fetchval(
        "INSERT INTO accounts (email, password_hash) VALUES ($1, 'x') RETURNING id",
        f"{short_name('u')}@example.com")
    monitor = await conn.fetchval(
        "INSERT INTO monitors (account_id, name) VALUES ($1, 'm') RETURNING id", account)
    return await conn.fetchval(
        "INSERT INTO tests (monitor_id, account_id, kind, region, interval_s, timeout_s, config)"
        " VALUES ($1, $2, 'http', $3, 60, 5, $4::jsonb) RETURNING id",
        monitor, account, region, json.dumps({"url": url}))


async def _next(queue: AbstractQueue, timeout: float = 15) -> Assignment:
    async with queue.iterator(timeout=timeout) as it:
        async for message in it:
            await message.ack()
            return decode_assignment(message.body)
    raise AssertionError("no assignment message arrived")


@pytest.fixture
async def region_env(database_url: str, amqp_url: str) -> AsyncIterator[tuple]:
    region = short_name("r")
    conn = await asyncpg.connect(database_url)
    broker = await aio_pika.connect(amqp_url)
    channel = await broker.channel()
    queue = await amqp.assignments_queue(channel, region)
    yield region, conn, channel, queue
    await queue.delete(if_unused=False, if_empty=False)
    await broker.close()
    await conn.close()


async def test_full_set_at_start_then_deltas_then_resync(region_env, database_url,
                                                         amqp_url) -> None:
    region, conn, channel, queue = region_env
    first = await _insert_test(conn, region, "http://127.0.0.1:1/a")
    cell = short_name("c")
    settings = Settings.from_env({"VIGIL_DATABASE_URL": database_url, "VIGIL_AMQP_URL": amqp_url,
                                  "VIGIL_CELL": cell, "VIGIL_SCHEDULER_POLL": "0.1"})
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop))
    try:
        start = await _next(queue)
        assert start.full and [s.id for s in start.upserts] == [first] and start.cell == cell

        second = await _insert_test(conn, region, "http://127.0.0.1:1/b")
        added = await _next(queue)
        assert (added.full, added.seq, [s.id for s in added.upserts]) == (False, 2, [second])

        await conn.execute("UPDATE tests SET version = version + 1, interval_s = 30 "
                           "WHERE id = $1", first)
        changed = await _next(queue)
        assert [(s.id, s.interval_s) for s in changed.upserts] == [(first, 30)]

        await conn.execute("DELETE FROM tests WHERE id = $1", second)
        removed = await _next(queue)
        assert (removed.upserts, removed.removals, removed.seq) == ([], [second], 4)

        resync = await channel.declare_exchange(names.RESYNC_EXCHANGE, "topic", durable=True)
        await resync.publish(amqp.persistent(encode_resync(
            ResyncRequest(cell, region, "n1", "test"))), routing_key=cell)
        full = await _next(queue)
        assert full.full and [s.id for s in full.upserts] == [first]
        assert full.generation == start.generation and full.seq == 5

        await resync.publish(amqp.persistent(b"garbage"), routing_key=cell)
        await resync.publish(amqp.persistent(encode_resync(
            ResyncRequest(cell, region, "n1", "after garbage"))), routing_key=cell)
        assert (await _next(queue)).full  # the garbage did not stop it
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
