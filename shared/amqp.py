"""RabbitMQ connections and the topology every component declares the same way."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)

from shared import names
from shared.codec import DecodeError

log = logging.getLogger(__name__)
T = TypeVar("T")


async def connect(url: str) -> AbstractRobustConnection:
    """A connection that reconnects by itself and restores its consumers."""
    return await aio_pika.connect_robust(url, client_properties={"connection_name": "vigil"})


async def durable_queue(channel: AbstractChannel, queue: str, exchange: str, key: str,
                        exchange_type: str = "direct") -> AbstractQueue:
    """Declare `queue` bound to `exchange`, with its dead-letter queue beside it."""
    ex = await channel.declare_exchange(exchange, exchange_type, durable=True)
    dlx = await channel.declare_exchange(names.DEAD_LETTER_EXCHANGE, "direct", durable=True)
    dead = await channel.declare_queue(names.dead_letter(queue), durable=True)
    await dead.bind(dlx, names.dead_letter(queue))
    q = await channel.declare_queue(queue, durable=True, arguments={
        "x-dead-letter-exchange": names.DEAD_LETTER_EXCHANGE,
        "x-dead-letter-routing-key": names.dead_letter(queue),
    })
    await q.bind(ex, key)
    return q


async def results_queue(channel: AbstractChannel, cell: str) -> AbstractQueue:
    return await durable_queue(channel, names.results_queue(cell), names.RESULTS_EXCHANGE, cell)


async def assignments_queue(channel: AbstractChannel, region: str) -> AbstractQueue:
    return await durable_queue(channel, names.assignments_queue(region),
                               names.ASSIGNMENTS_EXCHANGE, names.assignments_key(region),
                               exchange_type="topic")


async def resync_queue(channel: AbstractChannel, cell: str) -> AbstractQueue:
    """A cell's scheduler hears resync requests addressed to it and to every cell."""
    q = await durable_queue(channel, names.resync_queue(cell), names.RESYNC_EXCHANGE, cell,
                            exchange_type="topic")
    await q.bind(names.RESYNC_EXCHANGE, names.RESYNC_ALL)
    return q


async def notifications_queue(channel: AbstractChannel) -> AbstractQueue:
    return await durable_queue(channel, names.NOTIFICATIONS_QUEUE, names.EVENTS_EXCHANGE,
                               names.NOTIFICATIONS_BINDING, exchange_type="topic")


def persistent(body: bytes, content_type: str = "application/msgpack",
               encoding: str | None = None) -> aio_pika.Message:
    return aio_pika.Message(body, content_type=content_type, content_encoding=encoding,
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
