"""Publishing to the cell's RabbitMQ from the API, with publisher confirms.

The API needs the broker for a few actions only (a channel's test notification, heartbeat
pings), so a publisher connects on first use, not at start: an API whose broker is away
still starts and serves everything else, and those actions answer 503 until the broker is
back (`Unavailable`). Each publisher declares the queue it feeds, so a publish is routable
(`mandatory`) before the first consumer ever ran.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange

from shared.config import broker_urls

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
PUBLISH_TIMEOUT_S = 10.0

# Declares what the publisher feeds on a fresh channel; returns the exchange to publish to.
Declare = Callable[[AbstractChannel], Awaitable[AbstractExchange]]


class Unavailable(Exception):
    """The broker cannot be reached, or did not confirm the publish."""


class ConfirmedPublisher:
    def __init__(self, amqp_url: str, routing_key: str, declare: Declare) -> None:
        self.amqp_url = amqp_url
        self._brokers = broker_urls(amqp_url)
        self._broker = 0  # the one to try next: each failure moves on to another
        self.routing_key = routing_key
        self.declare = declare
        self._lock = asyncio.Lock()
        self._connection: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None

    async def publish(self, message: aio_pika.Message) -> None:
        """Returns once the broker confirmed the message (persisted it); else Unavailable."""
        try:
            exchange = await self._ready()
            await asyncio.wait_for(
                exchange.publish(message, routing_key=self.routing_key, mandatory=True),
                PUBLISH_TIMEOUT_S,
            )
        except Unavailable:
            raise
        except Exception as exc:  # broker away, channel closed, unroutable: try anew next time
            self._broker += 1
            log.warning("message not published", extra={"error": str(exc)})
            await self._reset()
            raise Unavailable(str(exc)) from None

    async def _ready(self) -> AbstractExchange:
        async with self._lock:
            if (
                self._exchange is not None
                and self._channel is not None
                and not self._channel.is_closed
            ):
                return self._exchange
            await self._reset_locked()
            try:
                # A plain connection: this class reconnects on the next publish itself, and a
                # robust one that fails to connect leaves an unawaited close() behind.
                url = self._brokers[self._broker % len(self._brokers)]
                self._connection = await asyncio.wait_for(aio_pika.connect(url), CONNECT_TIMEOUT_S)
                self._channel = await self._connection.channel(publisher_confirms=True)
                self._exchange = await self.declare(self._channel)
            except Exception as exc:
                self._broker += 1
                await self._reset_locked()
                raise Unavailable(f"the message broker is unreachable: {exc}") from None
            return self._exchange

    async def _reset(self) -> None:
        async with self._lock:
            await self._reset_locked()

    async def _reset_locked(self) -> None:
        connection, self._connection, self._channel, self._exchange = (
            self._connection,
            None,
            None,
            None,
        )
        if connection is not None:
            try:
                await connection.close()
            except Exception:  # already broken: nothing more to release
                log.debug("closing a broken broker connection failed", exc_info=True)

    async def close(self) -> None:
        await self._reset()
