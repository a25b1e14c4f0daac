"""`vigil processor`: consume result batches of this cell, store them, ack after commit.

Garbage on the queue is dead-lettered and counted, never a crash loop; a database failure
leaves the batch on the queue (nack, requeue) to be stored when the database is back.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg
from aio_pika.abc import AbstractIncomingMessage
from prometheus_client import Counter

from result_processor.store import store_batch
from shared import amqp, db
from shared.codec import DecodeError, decode_batch
from shared.config import Settings
from shared.messages import ResultBatch

log = logging.getLogger(__name__)

BATCHES = Counter("vigil_processor_batches_total", "Result batches by outcome", ["outcome"])
RESULTS = Counter("vigil_processor_results_total", "Results stored")
REJECTED_ROWS = Counter("vigil_processor_rejected_rows_total", "Rows set aside as invalid")

DB_RETRY_S = 1.0


class Processor:
    def __init__(self, settings: Settings, pool: asyncpg.Pool) -> None:
        self.cell = settings.cell
        self.pool = pool

    def decode(self, body: bytes) -> tuple[ResultBatch, list[tuple[Any, str]]]:
        batch, rejected = decode_batch(body)
        if batch.cell != self.cell:
            raise DecodeError(f"batch for cell {batch.cell!r} on cell {self.cell!r}")
        return batch, rejected

    async def on_batch(self, message: AbstractIncomingMessage) -> None:
        decoded = await amqp.decode_or_dead_letter(message, self.decode, "result batch")
        if decoded is None:
            BATCHES.labels("dead_lettered").inc()
            return
        batch, rejected = decoded
        try:
            async with self.pool.acquire() as conn:
                stored = await store_batch(conn, batch, rejected)
        except (asyncpg.PostgresError, OSError) as exc:
            BATCHES.labels("retried").inc()
            log.warning("storing failed, batch requeued", extra={"error": str(exc)})
            await asyncio.sleep(DB_RETRY_S)
            await message.nack(requeue=True)
            return
        await message.ack()
        if not stored:
            BATCHES.labels("duplicate").inc()
            log.info("duplicate batch skipped", extra={"batch": batch.batch_id.hex()})
            return
        BATCHES.labels("stored").inc()
        RESULTS.inc(len(batch.results))
        if rejected:
            REJECTED_ROWS.inc(len(rejected))
            log.warning("invalid rows set aside", extra={"batch": batch.batch_id.hex(),
                                                          "rows": len(rejected)})


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    pool = await db.pool(settings.database_url, size=4)
    connection = await amqp.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=settings.processor_prefetch)
        queue = await amqp.results_queue(channel, settings.cell)
        processor = Processor(settings, pool)
        tag = await queue.consume(processor.on_batch)
        log.info("processor running", extra={"cell": settings.cell})
        await stop.wait()
        await queue.cancel(tag)
    await pool.close()
