"""RabbitMQ connections and the topology every component declares the same way."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)

from shared import names
from shared.codec import DecodeError

log = logging.getLogger(__name__)
T = TypeVar("T")

NODE_QUEUE_EXPIRES_MS = 7 * 86400 * 1000
HEARTBEAT_TTL_MS = 60_000


async def connect(url: str) -> AbstractRobustConnection:
    """A connection that reconnects by itself and restores its consumers."""
    return await aio_pika.connect_robust(url, client_properties={"connection_name": "vigil"})


async def durable_queue(channel: AbstractChannel, queue: str, exchange: str, key: str,
                        exchange_type: str = "direct",
                        arguments: dict[str, Any] | None = None) -> AbstractQueue:
    """Declare `queue` bound to `exchange`, with its dead-letter queue beside it."""
    ex = await channel.declare_exchange(exchange, exchange_type, durable=True)
    dlx = await channel.declare_exchange(names.DEAD_LETTER_EXCHANGE, "direct", durable=True)
    dead = await channel.declare_queue(names.dead_letter(queue), durable=True)
    await dead.bind(dlx, names.dead_letter(queue))
    q = await channel.declare_queue(queue, durable=True, arguments={
        "x-dead-letter-exchange": names.DEAD_LETTER_EXCHANGE,
        "x-dead-letter-routing-key": names.dead_letter(queue),
        **(arguments or {}),
    })
    await q.bind(ex, key)
    return q


async def up_exchange(channel: AbstractChannel) -> AbstractExchange:
    """Where executors send everything bound for the cells (see names.UP_EXCHANGE)."""
    return await channel.declare_exchange(names.UP_EXCHANGE, "topic", durable=True)


async def results_queue(channel: AbstractChannel, cell: str) -> AbstractQueue:
    q = await durable_queue(channel, names.results_queue(cell), names.RESULTS_EXCHANGE, cell)
    await q.bind(await up_exchange(channel), cell)
    return q


async def node_assignments_queue(channel: AbstractChannel, region: str,
                                 node: str) -> AbstractQueue:
    """One executor node's assignments (and check-now requests), on its own broker. A node
    gone for good leaves no queue behind: it expires after NODE_QUEUE_EXPIRES_MS unused."""
    q = await durable_queue(channel, names.node_assignments_queue(region, node),
                            names.ASSIGNMENTS_EXCHANGE, names.assignments_key(region, node),
                            exchange_type="topic", arguments={"x-expires": NODE_QUEUE_EXPIRES_MS})
    await q.bind(names.ASSIGNMENTS_EXCHANGE, names.node_check_now_key(region, node))
    return q


async def check_now_queue(channel: AbstractChannel, cell: str) -> AbstractQueue:
    """A cell's scheduler hears its nodes asking for confirmation from other regions; a
    request older than CHECK_NOW_TTL_MS is dropped."""
    await up_exchange(channel)
    return await durable_queue(channel, names.check_now_queue(cell), names.UP_EXCHANGE,
                               names.check_now_key(cell), exchange_type="topic",
                               arguments={"x-message-ttl": names.CHECK_NOW_TTL_MS})


async def region_assignments_queue(channel: AbstractChannel, region: str) -> AbstractQueue:
    """At the centre: every node's assignments of a remote region, for its down shovel."""
    return await durable_queue(channel, names.assignments_queue(region),
                               names.ASSIGNMENTS_EXCHANGE,
                               names.region_assignments_pattern(region), exchange_type="topic")


async def resync_queue(channel: AbstractChannel, cell: str) -> AbstractQueue:
    """A cell's scheduler hears resync requests addressed to it and to every cell."""
    q = await durable_queue(channel, names.resync_queue(cell), names.RESYNC_EXCHANGE, cell,
                            exchange_type="topic")
    await q.bind(names.RESYNC_EXCHANGE, names.RESYNC_ALL)
    up = await up_exchange(channel)
    await q.bind(up, names.resync_key(cell))
    await q.bind(up, names.resync_key(names.RESYNC_ALL))
    return q


async def deliveries_queue(channel: AbstractChannel, cell: str) -> AbstractQueue:
    return await durable_queue(channel, names.deliveries_queue(cell), names.DELIVERIES_EXCHANGE,
                               cell)


async def deliveries_wait_queue(channel: AbstractChannel, cell: str,
                                delay_ms: int) -> AbstractQueue:
    """A queue nobody consumes: its messages expire after `delay_ms` and are dead-lettered
    back to the cell's deliveries queue. A queue-wide TTL (not a per-message one) because
    RabbitMQ expires messages only at the head of a queue: one long wait would hold back
    every shorter one queued behind it."""
    await channel.declare_exchange(names.DELIVERIES_EXCHANGE, "direct", durable=True)
    return await channel.declare_queue(names.deliveries_wait_queue(cell, delay_ms), durable=True,
                                       arguments={
        "x-message-ttl": delay_ms,
        "x-dead-letter-exchange": names.DELIVERIES_EXCHANGE,
        "x-dead-letter-routing-key": cell,
    })


async def heartbeats_queue(channel: AbstractChannel, cell: str) -> AbstractQueue:
    """A cell's scheduler hears every node's heartbeats; old ones are worth nothing."""
    await up_exchange(channel)
    return await durable_queue(channel, names.heartbeats_queue(cell), names.UP_EXCHANGE,
                               names.HEARTBEAT_PATTERN, exchange_type="topic",
                               arguments={"x-message-ttl": HEARTBEAT_TTL_MS})


async def notifications_queue(channel: AbstractChannel, cell: str) -> AbstractQueue:
    """The incident and certificate events of one cell, for its notifiers' fan-out."""
    first, *more = names.notifications_bindings(cell)
    q = await durable_queue(channel, names.notifications_queue(cell), names.EVENTS_EXCHANGE,
                            first, exchange_type="topic")
    for key in more:
        await q.bind(names.EVENTS_EXCHANGE, key)
    return q


def persistent(body: bytes, content_type: str = "application/msgpack",
               encoding: str | None = None, message_id: str | None = None) -> aio_pika.Message:
    return aio_pika.Message(body, content_type=content_type, content_encoding=encoding,
                            message_id=message_id,
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT)


async def decode_or_dead_letter(message: AbstractIncomingMessage,
                                decode: Callable[[bytes], T], what: str) -> T | None:
    """Decode a message; garbage is dead-lettered and logged, never a crash loop."""
    try:
        return decode(message.body)
    except DecodeError as exc:
        log.error("malformed message dead-lettered", extra={"what": what, "error": str(exc)})
        await message.reject(requeue=False)
        return None
