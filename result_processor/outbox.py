"""Publishing events written to the outbox (incidents, and certificates nearing expiry), after
the transaction that decided them.

An event is deleted from the outbox only once the broker has confirmed it, so a crash or a
broker outage delays events and never loses one (a crash between the confirm and the
delete may send one twice: the notifier keys on incident id and kind, or on the test and
the certificate's expiry day). Several processors
share the outbox with SKIP LOCKED.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
from aio_pika.abc import AbstractChannel

from shared import amqp, names

log = logging.getLogger(__name__)

BATCH = 100
IDLE_POLL_S = 5.0  # also picks up events another processor left behind


class Publisher:
    def __init__(self, channel: AbstractChannel, pool: asyncpg.Pool, cell: str) -> None:
        self.channel = channel  # opened with publisher confirms
        self.pool = pool
        self.cell = cell

    async def publish_pending(self) -> int:
        exchange = await self.channel.declare_exchange(names.EVENTS_EXCHANGE, "topic", durable=True)
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, routing_key, body FROM event_outbox ORDER BY id "
                "LIMIT $1 FOR UPDATE SKIP LOCKED",
                BATCH,
            )
            for row in rows:
                # The row's id travels as the message id: a replayed event keeps it.
                await exchange.publish(
                    amqp.persistent(row["body"], message_id=str(row["id"])),
                    routing_key=row["routing_key"],
                )
            if rows:
                await conn.execute(
                    "DELETE FROM event_outbox WHERE id = any($1::bigint[])", [r["id"] for r in rows]
                )
        return len(rows)

    async def run(self, wake: asyncio.Event) -> None:
        # Events wait there for the cell's notifier, even before it first starts.
        await amqp.notifications_queue(self.channel, self.cell)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), IDLE_POLL_S)
            wake.clear()
            try:
                while await self.publish_pending() == BATCH:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database away: try again later
                log.warning("publishing incident events failed", extra={"error": str(exc)})
