"""`vigil processor`: consume result batches of this cell, store them, ack after commit.

Batches are decoded as they arrive (garbage is dead-lettered and counted, never a crash
loop) and queued for the writers; a writer takes every batch waiting (up to a number of
rows) into one transaction and acks them all after the commit. Under load that is several
batches per commit; at rest, one. Two writers (the default) keep PostgreSQL busy on one
group while the other is being prepared: they are safe together for the same reasons two
processors are (see `store`). A database failure leaves the batches on the queue (nack,
requeue) to be stored when the database is back. Partition maintenance, sealing of
rollups and pruning of old batch ids run beside, on their own timer.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from datetime import UTC, datetime, timedelta

import asyncpg
from aio_pika.abc import AbstractIncomingMessage
from prometheus_client import Counter, Histogram

from result_processor import (
    certs,
    incidents,
    maintenance_notices,
    missed,
    outbox,
    partitions,
    rollups,
)
from result_processor.stats import IngestStats
from result_processor.store import AfterStore, Decoded, Stored, prune_batch_ids, store_group
from shared import amqp, db, health, names
from shared import partitioning as parts
from shared.codec import DecodeError, decode_batch
from shared.config import Settings
from shared.ping_codec import decode_pings

log = logging.getLogger(__name__)

BATCHES = Counter("vigil_processor_batches_total", "Result batches by outcome", ["outcome"])
RESULTS = Counter("vigil_processor_results_total", "Results stored")
REJECTED_ROWS = Counter("vigil_processor_rejected_rows_total", "Rows set aside as invalid")
TRIMMED = Counter(
    "vigil_processor_dropped_extras_total",
    "Results stored without extras that were out of range or of a wrong type",
)
GROUP_SIZE = Histogram(
    "vigil_processor_group_batches", "Batches per transaction", buckets=(1, 2, 4, 8, 16, 32, 64)
)

DB_RETRY_S = 1.0
DB_RETRY_MAX_S = 5.0
MAINTENANCE_EVERY_S = 300.0
Pending = tuple[AbstractIncomingMessage, Decoded]


class Processor:
    def __init__(self, settings: Settings, pool: asyncpg.Pool) -> None:
        self.cell = settings.cell
        self.pool = pool
        self.group_rows = settings.processor_group_rows
        self.inbox: asyncio.Queue[Pending] = asyncio.Queue()
        self.wake_outbox = asyncio.Event()
        # What runs in each storing transaction once the rows are in.
        self.after: list[AfterStore] = [incidents.evaluate, certs.evaluate]
        self.stats = IngestStats(settings.cell)  # the operator's ingest rate

    def decode(self, body: bytes) -> Decoded:
        batch, rejected = decode_batch(body)
        if batch.cell != self.cell:
            raise DecodeError(f"batch for cell {batch.cell!r} on cell {self.cell!r}")
        return Decoded(batch, rejected)

    def decode_pings(self, body: bytes) -> Decoded:
        pings, rejected = decode_pings(body)
        if pings.cell != self.cell:
            raise DecodeError(f"pings for cell {pings.cell!r} on cell {self.cell!r}")
        return Decoded.of_pings(pings, rejected)

    async def on_batch(self, message: AbstractIncomingMessage) -> None:
        decode = self.decode_pings if message.type == names.PING_BATCH_TYPE else self.decode
        decoded = await amqp.decode_or_dead_letter(message, decode, "result batch")
        if decoded is None:
            BATCHES.labels("dead_lettered").inc()
            return
        self.inbox.put_nowait((message, decoded))

    def take_group(self, first: Pending) -> list[Pending]:
        """The first batch and every batch already waiting, up to the row limit."""
        group, rows = [first], first[1].rows
        while rows < self.group_rows and not self.inbox.empty():
            item = self.inbox.get_nowait()
            group.append(item)
            rows += item[1].rows
        return group

    async def write_forever(self) -> None:
        while True:
            group = self.take_group(await self.inbox.get())
            try:
                await self.write(group)
            except Exception:
                # Anything unforeseen (asyncpg raises InterfaceError on a connection closed
                # under it): a writer that died here would leave its batches unacked, never
                # stored, and the processor one writer short without a word. Requeue them.
                BATCHES.labels("retried").inc(len(group))
                log.exception(
                    "storing failed unexpectedly, batches requeued", extra={"batches": len(group)}
                )
                try:
                    await self._requeue(group)
                except Exception:  # the channel is gone: the broker requeues them itself
                    log.exception("requeue failed", extra={"batches": len(group)})

    async def write(self, group: list[Pending]) -> None:
        stored = await self._store_while_unavailable(group)
        if stored is None:
            await self._requeue(group)
            return
        for message, _ in group:
            await message.ack()
        self._count(stored)
        self.wake_outbox.set()

    async def _requeue(self, group: list[Pending]) -> None:
        await asyncio.sleep(DB_RETRY_S)
        for message, _ in group:
            await message.nack(requeue=True)

    async def _store_while_unavailable(self, group: list[Pending]) -> Stored | None:
        """Store the group, trying again for as long as the database is unavailable (None:
        it failed for another reason, and goes back to the queue).

        While the database is away the batches stay here, unacked: a nack would redeliver
        them at once, and a quorum queue dead-letters a message past its delivery limit
        (VIGIL_AMQP_DELIVERY_LIMIT), so an outage of a few tens of seconds would set
        results aside unstored. Any other error may be the group's own; requeued, a batch
        that fails every time is dead-lettered at that limit, never a loop for ever."""
        decoded = [d for _, d in group]
        pause = DB_RETRY_S
        while True:
            try:
                async with self.pool.acquire() as conn:
                    return await store_group(conn, decoded, datetime.now(UTC), after=self.after)
            except asyncpg.PostgresError as exc:
                if not database_unavailable(exc):
                    BATCHES.labels("retried").inc(len(group))
                    log.warning("storing failed, batches requeued", extra={"error": str(exc)})
                    return None
                error: Exception = exc
            except OSError as exc:  # refused, reset, timed out: the database is away
                error = exc
            BATCHES.labels("held").inc(len(group))
            log.warning(
                "database unavailable, batches held",
                extra={"batches": len(group), "error": str(error), "retry_in_s": pause},
            )
            await asyncio.sleep(pause)
            pause = min(pause * 2, DB_RETRY_MAX_S)

    def _count(self, stored: Stored) -> None:
        GROUP_SIZE.observe(stored.batches + stored.duplicates)
        BATCHES.labels("stored").inc(stored.batches)
        RESULTS.inc(stored.results)
        self.stats.add(stored.results)
        if stored.duplicates:
            BATCHES.labels("duplicate").inc(stored.duplicates)
            log.info("duplicate batches skipped", extra={"count": stored.duplicates})
        if stored.rejected:
            REJECTED_ROWS.inc(stored.rejected)
            log.warning("invalid rows set aside", extra={"rows": stored.rejected})
        if stored.trimmed:
            # The results are stored; what the executor sent beside them was not storable.
            TRIMMED.inc(len(stored.trimmed))
            test_id, reason = stored.trimmed[0]
            log.warning(
                "results stored without bad extras",
                extra={"results": len(stored.trimmed), "test_id": test_id, "reason": reason},
            )


def database_unavailable(exc: asyncpg.PostgresError) -> bool:
    """The server is away or cannot take us now (a connection lost, a shutdown or a start,
    too many connections, a full disk), as opposed to an error of what we sent."""
    return isinstance(
        exc,
        asyncpg.PostgresConnectionError
        | asyncpg.InsufficientResourcesError
        | asyncpg.OperatorInterventionError,
    ) and not isinstance(exc, asyncpg.QueryCanceledError)


async def maintain(pool: asyncpg.Pool, settings: Settings, now: datetime) -> None:
    """Partitions ahead and past retention, counts of past days still in test_state, rollup
    percentiles of closed days, old ids and long-expired certificates."""
    schemes = [parts.results_scheme(settings.results_retention_days), parts.WEEK]
    async with pool.acquire() as conn:
        await partitions.maintain(conn, schemes, now)
        await rollups.file_past_days(conn, now.astimezone(UTC).date())
        await rollups.seal(conn, now)
        await prune_batch_ids(conn, now - timedelta(days=settings.batch_id_retention_days))
        await certs.prune(conn, now)


async def maintain_forever(pool: asyncpg.Pool, settings: Settings) -> None:
    while True:
        await asyncio.sleep(MAINTENANCE_EVERY_S)
        try:
            await maintain(pool, settings, datetime.now(UTC))
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("maintenance failed, will retry", extra={"error": str(exc)})


def tune_gc() -> None:
    """Each group allocates ~10 objects per result, none of them cyclic garbage: with the
    default thresholds the cycle collector runs every 700 allocations and scans them all
    again and again, which halves decoding speed. Collect far less often."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    tune_gc()
    pool = await db.pool(settings.database_url, size=settings.processor_writers + 3)
    await maintain(pool, settings, datetime.now(UTC))  # partitions exist before any insert
    connection = await amqp.connect(settings.amqp_url)
    health.HEALTH.watch("database", health.pool(pool))
    health.HEALTH.watch("broker", health.broker(connection))
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=settings.processor_prefetch)
        queue = await amqp.results_queue(channel, settings.cell)
        processor = Processor(settings, pool)
        publisher = outbox.Publisher(
            await connection.channel(publisher_confirms=True), pool, settings.cell
        )
        tasks = [
            asyncio.create_task(processor.write_forever())
            for _ in range(settings.processor_writers)
        ]
        tasks += [
            asyncio.create_task(maintain_forever(pool, settings)),
            asyncio.create_task(
                missed.find_forever(
                    pool, settings.cell, settings.node_id, processor.after, processor.wake_outbox
                )
            ),
            asyncio.create_task(
                maintenance_notices.notice_forever(pool, settings.cell, processor.wake_outbox)
            ),
            asyncio.create_task(publisher.run(processor.wake_outbox)),
            asyncio.create_task(processor.stats.run(pool)),
        ]
        tag = await queue.consume(processor.on_batch)
        log.info("processor running", extra={"cell": settings.cell})
        await stop.wait()
        await queue.cancel(tag)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    await pool.close()
