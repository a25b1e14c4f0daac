"""The broker leg of ingest: result batches as executors encode them, published with
publisher confirms into a cell's results queue and consumed with acks, on a quorum queue
(the default) beside a classic one, in the same run on the same broker (one node: the ratio
is the cost of the quorum queue's Raft log, not of replication)."""

from __future__ import annotations

import asyncio
import time

from shared import amqp, names

IN_FLIGHT = 32  # unconfirmed publishes at a time, as several executors have them


async def broker_rate(
    amqp_url: str, bodies: list[bytes], results_per_body: int, options: amqp.QueueOptions
) -> float:
    """Results a second through publish (confirmed) -> queue -> consume (acked)."""
    connection = await amqp.connect(amqp_url, options)
    try:
        channel = await connection.channel(publisher_confirms=True)
        cell = f"bench{options.queue_type}"
        queue = await amqp.results_queue(channel, cell)
        await queue.purge()
        exchange = await channel.get_exchange(names.RESULTS_EXCHANGE)
        consumer = await connection.channel()
        await consumer.set_qos(prefetch_count=64)
        received, done = 0, asyncio.Event()

        async def on_message(message: object) -> None:
            nonlocal received
            await message.ack()  # type: ignore[attr-defined]
            received += 1
            if received == len(bodies):
                done.set()

        await (await consumer.get_queue(queue.name)).consume(on_message)
        started = time.monotonic()
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def publish(body: bytes) -> None:
            async with gate:
                await exchange.publish(amqp.persistent(body), cell)

        await asyncio.gather(*(publish(b) for b in bodies))
        await asyncio.wait_for(done.wait(), 300)
        return len(bodies) * results_per_body / (time.monotonic() - started)
    finally:
        await connection.close()
