"""Publishing a channel's test notification to the cell's deliveries queue.

The body is the notifier's JSON `Delivery` (notifier/delivery.py, wire version 1), written
here because components import only shared/; a test decodes it with the notifier's decoder.

The API reaches RabbitMQ for this one action only, so the connection is opened on first use,
not at start: an API whose broker is away still starts and serves everything else, and the
"send test notification" action answers 503 until the broker is back (`Unavailable`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import UTC, datetime

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange

from shared import amqp, names

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
PUBLISH_TIMEOUT_S = 10.0


def test_delivery(channel_id: int, kind: str, account_id: int, sealed_config: str,
                  channel_name: str) -> bytes:
    """A "test" notification for one channel; each press of the button is a delivery of its
    own (a fresh key), so the user can test again after fixing a setting."""
    key = f"test/{channel_id}/{uuid.uuid4().hex}"
    notification = {
        "kind": "test", "key": key, "monitor": channel_name, "target": "",
        "regions": [], "started_at": datetime.now(UTC).isoformat(), "resolved_at": None,
        "incident_id": None, "url": "", "language": "en", "note": "", "expires_at": None,
        "extra": {},
    }
    return json.dumps({"v": 1, "key": f"{key}/{channel_id}", "account_id": account_id,
                       "channel": {"kind": kind, "id": channel_id, "sealed": sealed_config},
                       "notification": notification}, separators=(",", ":")).encode()


class Unavailable(Exception):
    """The broker cannot be reached, or did not confirm the publish."""


class DeliveryPublisher:
    def __init__(self, amqp_url: str, cell: str) -> None:
        self.amqp_url = amqp_url
        self.cell = cell
        self._lock = asyncio.Lock()
        self._connection: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None

    async def publish(self, body: bytes) -> None:
        try:
            exchange = await self._ready()
            await asyncio.wait_for(exchange.publish(
                amqp.persistent(body, content_type="application/json"),
                routing_key=self.cell, mandatory=True), PUBLISH_TIMEOUT_S)
        except Unavailable:
            raise
        except Exception as exc:  # broker away, channel closed, unroutable: try anew next time
            log.warning("test notification not published", extra={"error": str(exc)})
            await self._reset()
            raise Unavailable(str(exc)) from None

    async def _ready(self) -> AbstractExchange:
        async with self._lock:
            if self._exchange is not None and self._channel is not None \
                    and not self._channel.is_closed:
                return self._exchange
            await self._reset_locked()
            try:
                # A plain connection: this class reconnects on the next press itself, and a
                # robust one that fails to connect leaves an unawaited close() behind.
                self._connection = await asyncio.wait_for(aio_pika.connect(self.amqp_url),
                                                          CONNECT_TIMEOUT_S)
                self._channel = await self._connection.channel(publisher_confirms=True)
                await amqp.deliveries_queue(self._channel, self.cell)  # the notifier's queue
                self._exchange = await self._channel.get_exchange(names.DELIVERIES_EXCHANGE)
            except Exception as exc:
                await self._reset_locked()
                raise Unavailable(f"the message broker is unreachable: {exc}") from None
            return self._exchange

    async def _reset(self) -> None:
        async with self._lock:
            await self._reset_locked()

    async def _reset_locked(self) -> None:
        connection, self._connection, self._channel, self._exchange = \
            self._connection, None, None, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:  # already broken: nothing more to release
                log.debug("closing a broken broker connection failed", exc_info=True)

    async def close(self) -> None:
        await self._reset()
