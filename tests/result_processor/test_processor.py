"""The processor against the real RabbitMQ and PostgreSQL."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import aio_pika
import asyncpg
import pytest

from result_processor.service import serve
from shared import amqp, names
from shared.codec import encode_batch
from shared.config import Settings
from shared.messages import Result, ResultBatch, Status
from tests.helpers import eventually, short_name

pytestmark = pytest.mark.integration
NOW_MS = int(time.time() // 60 * 60_000) - 3_600_000  # an hour ago: inside the week


@pytest.fixture
async def cell(database_url: str, amqp_url: str) -> AsyncIterator[str]:
    """A running processor for a cell of its own; yields the cell name."""
    name = short_name("p")
    settings = Settings.from_env({"VIGIL_DATABASE_URL": database_url, "VIGIL_AMQP_URL": amqp_url,
                                  "VIGIL_CELL": name})
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop))
    await _wait_consumer(amqp_url, name)
    yield name
    stop.set()
    await asyncio.wait_for(task, 10)


async def _wait_consumer(amqp_url: str, cell: str) -> None:
    async def consuming() -> bool:
        conn = await aio_pika.connect(amqp_url)
        async with conn:
            channel = await conn.channel()
            try:
                q = await channel.declare_queue(names.results_queue(cell), passive=True)
            except aio_pika.exceptions.ChannelClosed:
                return False
            return (q.declaration_result.consumer_count or 0) > 0
    await eventually(consuming, "the processor to consume")


async def _publish(amqp_url: str, cell: str, *bodies: bytes) -> None:
    conn = await aio_pika.connect(amqp_url)
    async with conn:
        channel = await conn.channel()
        ex = await channel.declare_exchange(names.RESULTS_EXCHANGE, "direct", durable=True)
        for body in bodies:
            await ex.publish(amqp.persistent(body), routing_key=cell)


def _batch(cell: str, test_ids: list[int], status: Status = Status.UP,
           at: int = NOW_MS) -> ResultBatch:
    results = [Result(t, at + i, status, 5.0, 200 if status is Status.UP else 500,
                      None if status is Status.UP else "http_status")
               for i, t in enumerate(test_ids)]
    return ResultBatch(uuid.uuid4().bytes, cell, "local", "node-1", results)


async def _count(database_url: str, table: str, test_ids: list[int]) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval(f"SELECT count(*) FROM {table} WHERE test_id = any($1)",
                                   test_ids)
    finally:
        await conn.close()


def _ids(n: int) -> list[int]:
    base = uuid.uuid4().int % 10**12 + 1
    return [base + i for i in range(n)]


async def test_batch_lands_in_both_tables_and_state(cell, database_url, amqp_url) -> None:
    ids = _ids(50)
    await _publish(amqp_url, cell, encode_batch(_batch(cell, ids)))
    await eventually(lambda: _count(database_url, "results", ids), "results stored")
    assert await _count(database_url, "results", ids) == 50
    assert await _count(database_url, "results_week", ids) == 50
    assert await _count(database_url, "test_state", ids) == 50


async def test_redelivered_batch_is_stored_once(cell, database_url, amqp_url) -> None:
    ids = _ids(10)
    body = encode_batch(_batch(cell, ids))
    marker = _ids(1)
    await _publish(amqp_url, cell, body, body, body, encode_batch(_batch(cell, marker)))
    await eventually(lambda: _count(database_url, "results", marker), "the marker batch")
    assert await _count(database_url, "results", ids) == 10


async def test_garbage_is_dead_lettered_and_the_processor_goes_on(
        cell, database_url, amqp_url) -> None:
    ids = _ids(3)
    await _publish(amqp_url, cell, b"garbage", b"\x28\xb5\x2f\xfd garbage",
                   encode_batch(_batch("another-cell", _ids(1))),
                   encode_batch(_batch(cell, ids)))
    await eventually(lambda: _count(database_url, "results", ids), "the good batch")
    conn = await aio_pika.connect(amqp_url)
    async with conn:
        channel = await conn.channel()
        dead = await channel.declare_queue(names.dead_letter(names.results_queue(cell)),
                                           durable=True, passive=True)
        assert dead.declaration_result.message_count == 3


async def test_state_follows_the_newest_result_and_keeps_since(
        cell, database_url, amqp_url) -> None:
    [tid] = _ids(1)
    sequence = [(Status.UP, 0), (Status.DOWN, 60_000), (Status.DOWN, 120_000),
                (Status.UP, 30_000)]  # the last one arrives late
    for n, (status, offset) in enumerate(sequence, start=1):
        await _publish(amqp_url, cell, encode_batch(_batch(cell, [tid], status, NOW_MS + offset)))

        async def stored(n: int = n) -> bool:
            return await _count(database_url, "results", [tid]) == n
        await eventually(stored, f"{n} results")
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow("SELECT status, since, checked_at FROM test_state "
                                  "WHERE test_id = $1", tid)
    finally:
        await conn.close()
    assert row["status"] == Status.DOWN
    assert row["since"].timestamp() * 1000 == NOW_MS + 60_000
    assert row["checked_at"].timestamp() * 1000 == NOW_MS + 120_000
