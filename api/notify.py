"""Publishing a channel's test notification to the cell's deliveries queue.

The body is the notifier's JSON `Delivery` (notifier/delivery.py, wire version 1), written
here because components import only shared/; a test decodes it with the notifier's decoder.

The connection is opened on first use (`api.broker`): the action answers 503 while the
broker is away (`Unavailable`).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from aio_pika.abc import AbstractChannel, AbstractExchange

from api.broker import ConfirmedPublisher, Unavailable
from shared import amqp, names

__all__ = ["DeliveryPublisher", "Unavailable", "test_delivery"]


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


class DeliveryPublisher:
    """Test notifications, to the cell's deliveries queue (the notifier's)."""

    def __init__(self, amqp_url: str, cell: str) -> None:
        self.cell = cell
        self._publisher = ConfirmedPublisher(amqp_url, cell, self._declare)

    async def _declare(self, channel: AbstractChannel) -> AbstractExchange:
        await amqp.deliveries_queue(channel, self.cell)
        return await channel.get_exchange(names.DELIVERIES_EXCHANGE)

    async def publish(self, body: bytes) -> None:
        await self._publisher.publish(amqp.persistent(body, content_type="application/json"))

    async def close(self) -> None:
        await self._publisher.close()
