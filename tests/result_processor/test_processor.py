"""The processor against the real RabbitMQ and PostgreSQL."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aio_pika
import asyncpg
import pytest
from prometheus_client import REGISTRY

from result_processor.service import serve
from shared import amqp, names
from shared.codec import decode_batch, decode_event, encode_batch
from shared.config import Settings
from shared.messages import IncidentEvent, Result, ResultBatch, Status
from tests.helpers import eventually, short_name
from tests.result_processor.helpers import make_monitor

pytestmark = pytest.mark.integration
NOW_MS = int(time.time() // 60 * 60_000) - 3_600_000  # an hour ago: inside the week


@asynccontextmanager
async def processors(database_url: str, amqp_url: str, n: int = 1) -> AsyncIterator[str]:
    """`n` running processors sharing the queue of a cell of their own; yields the cell."""
    name = short_name("p")
    settings = Settings.from_env(
        {"VIGIL_DATABASE_URL": database_url, "VIGIL_AMQP_URL": amqp_url, "VIGIL_CELL": name}
    )
    stop = asyncio.Event()
    tasks = [asyncio.create_task(serve(settings, stop)) for _ in range(n)]
    await _wait_consumer(amqp_url, name, n)
    try:
        yield name
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 20)


@pytest.fixture
async def cell(database_url: str, amqp_url: str) -> AsyncIterator[str]:
    async with processors(database_url, amqp_url) as name:
        yield name


async def _wait_consumer(amqp_url: str, cell: str, n: int = 1) -> None:
    async def consuming() -> bool:
        conn = await aio_pika.connect(amqp_url)
        async with conn:
            channel = await conn.channel()
            try:
                q = await channel.declare_queue(names.results_queue(cell), passive=True)
            except aio_pika.exceptions.ChannelClosed:
                return False
            return (q.declaration_result.consumer_count or 0) >= n

    await eventually(consuming, "the processor to consume")


async def _publish(amqp_url: str, cell: str, *bodies: bytes) -> None:
    conn = await aio_pika.connect(amqp_url)
    async with conn:
        channel = await conn.channel()
        ex = await channel.declare_exchange(names.RESULTS_EXCHANGE, "direct", durable=True)
        for body in bodies:
            await ex.publish(amqp.persistent(body), routing_key=cell)


def _batch(
    cell: str, test_ids: list[int], status: Status = Status.UP, at: int = NOW_MS
) -> ResultBatch:
    results = [
        Result(
            t,
            at + i,
            status,
            5.0,
            200 if status is Status.UP else 500,
            None if status is Status.UP else "http_status",
        )
        for i, t in enumerate(test_ids)
    ]
    return ResultBatch(uuid.uuid4().bytes, cell, "local", "node-1", results)


async def _count(database_url: str, table: str, test_ids: list[int]) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval(
            f"SELECT count(*) FROM {table} WHERE test_id = any($1)", test_ids
        )
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
    cell, database_url, amqp_url
) -> None:
    ids = _ids(3)
    await _publish(
        amqp_url,
        cell,
        b"garbage",
        b"\x28\xb5\x2f\xfd garbage",
        encode_batch(_batch("another-cell", _ids(1))),
        encode_batch(_batch(cell, ids)),
    )
    await eventually(lambda: _count(database_url, "results", ids), "the good batch")
    conn = await aio_pika.connect(amqp_url)
    async with conn:
        channel = await conn.channel()
        dead = await channel.declare_queue(
            names.dead_letter(names.results_queue(cell)), durable=True, passive=True
        )
        assert dead.declaration_result.message_count == 3


async def test_a_bad_extra_is_dropped_and_counted_and_the_result_stored(
    cell, database_url, amqp_url, caplog
) -> None:
    def dropped() -> float:
        return REGISTRY.get_sample_value("vigil_processor_dropped_extras_total") or 0.0

    async def counted() -> bool:
        return dropped() == before + 2

    before = dropped()
    ids = _ids(2)
    far = {"tls_ms": 3.0, "cert_days": 355_000.0}  # a certificate valid to the year 3000
    results = [Result(t, NOW_MS, Status.UP, 5.0, 200, extras=far) for t in ids]
    await _publish(
        amqp_url,
        cell,
        encode_batch(ResultBatch(uuid.uuid4().bytes, cell, "local", "node-1", results)),
    )
    await eventually(lambda: _count(database_url, "results", ids), "results stored")
    assert await _count(database_url, "results", ids) == 2
    # Counted after the ack, a moment after the commit that made the rows visible.
    await eventually(counted, "the dropped extras counted")
    assert any(r.getMessage() == "results stored without bad extras" for r in caplog.records)


async def test_state_follows_the_newest_result_and_keeps_since(
    cell, database_url, amqp_url
) -> None:
    [tid] = _ids(1)
    sequence = [
        (Status.UP, 0),
        (Status.DOWN, 60_000),
        (Status.DOWN, 120_000),
        (Status.UP, 30_000),
    ]  # the last one arrives late
    for n, (status, offset) in enumerate(sequence, start=1):
        await _publish(amqp_url, cell, encode_batch(_batch(cell, [tid], status, NOW_MS + offset)))

        async def stored(n: int = n) -> bool:
            return await _count(database_url, "results", [tid]) == n

        await eventually(stored, f"{n} results")
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            "SELECT status, since, checked_at FROM test_state WHERE test_id = $1", tid
        )
    finally:
        await conn.close()
    assert row["status"] == Status.DOWN
    assert row["since"].timestamp() * 1000 == NOW_MS + 60_000
    assert row["checked_at"].timestamp() * 1000 == NOW_MS + 120_000


async def test_two_processors_on_one_queue_store_nothing_twice(database_url, amqp_url) -> None:
    async with processors(database_url, amqp_url, n=2) as cell:
        test_ids = _ids(400)
        bodies = [encode_batch(_batch(cell, test_ids[i : i + 10])) for i in range(0, 400, 10)]
        # Every batch twice, as an executor whose confirms were lost would send them.
        await _publish(amqp_url, cell, *bodies, *reversed(bodies))

        async def all_in() -> bool:
            return await _count(database_url, "results", test_ids) >= 400

        await eventually(all_in, "400 results")

        async def all_skipped() -> bool:
            conn = await asyncpg.connect(database_url)
            try:
                return (
                    await conn.fetchval(
                        "SELECT count(*) FROM processed_batches WHERE batch_id = any($1)",
                        [decode_batch(b)[0].batch_id for b in bodies],
                    )
                    == 40
                )
            finally:
                await conn.close()

        await eventually(all_skipped, "every batch id claimed")
        await _drained(amqp_url, cell)
    assert await _count(database_url, "results", test_ids) == 400
    assert await _count(database_url, "results_week", test_ids) == 400


async def _drained(amqp_url: str, cell: str) -> None:
    async def empty() -> bool:
        conn = await aio_pika.connect(amqp_url)
        async with conn:
            channel = await conn.channel()
            q = await channel.declare_queue(names.results_queue(cell), passive=True)
            return q.declaration_result.message_count == 0

    await eventually(empty, "the queue to drain")


async def test_incident_events_reach_the_notifications_queue(cell, database_url, amqp_url) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        _, [tid] = await make_monitor(conn, rule={"retries": 0, "regions": 1})
    finally:
        await conn.close()
    await _publish(amqp_url, cell, encode_batch(_batch(cell, [tid], Status.DOWN)))
    amqp_conn = await aio_pika.connect(amqp_url)
    async with amqp_conn:
        channel = await amqp_conn.channel()
        queue = await channel.declare_queue(
            names.notifications_queue(cell), durable=True, passive=True
        )

        async def event_for_test() -> IncidentEvent | None:
            message = await queue.get(fail=False)
            if message is None:
                return None
            await message.ack()
            event = decode_event(message.body)
            return event if event.test_id == tid else None

        event = await eventually(event_for_test, "the incident event")
    assert (event.kind, event.state, event.cell) == ("opened", "down", cell)


async def test_a_writer_survives_an_unforeseen_error_and_requeues_its_batch(
    database_url, amqp_url, caplog
) -> None:
    """A closed pool raises asyncpg's InterfaceError, which is no PostgresError: the writer
    logs it and puts the batch back on the queue, and goes on writing."""
    from result_processor.service import Processor

    cell = short_name("w")
    settings = Settings.from_env(
        {"VIGIL_DATABASE_URL": database_url, "VIGIL_AMQP_URL": amqp_url, "VIGIL_CELL": cell}
    )
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    await pool.close()
    conn = await aio_pika.connect(amqp_url)
    async with conn:
        channel = await conn.channel()
        queue = await amqp.results_queue(channel, cell)
        processor = Processor(settings, pool)
        writer = asyncio.create_task(processor.write_forever())
        try:
            await _publish(amqp_url, cell, encode_batch(_batch(cell, _ids(3))))
            message = await eventually(lambda: queue.get(fail=False), "the batch queued")
            processor.inbox.put_nowait((message, processor.decode(message.body)))

            async def requeued() -> bool:
                q = await channel.declare_queue(queue.name, passive=True)
                return (q.declaration_result.message_count or 0) == 1

            await eventually(requeued, "the batch back on the queue")
            assert not writer.done()
            assert "storing failed unexpectedly, batches requeued" in caplog.text
        finally:
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
            await queue.delete(if_unused=False, if_empty=False)
