"""Publishing a channel's test notification to the cell's deliveries queue.

The body is the delivery message of `shared/delivery_message.py`, built from its dataclasses
and encoded by its `encode_delivery`, the same contract the notifier decodes.

The connection is opened on first use (`api.broker`): the action answers 503 while the
broker is away (`Unavailable`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aio_pika.abc import AbstractChannel, AbstractExchange

from api.broker import ConfirmedPublisher, Unavailable
from shared import amqp, delivery_keys, names
from shared.delivery_message import Delivery, Notification, encode_delivery

__all__ = ["DeliveryPublisher", "Unavailable", "account_mail", "test_delivery"]


def test_delivery(
    channel_id: int, kind: str, account_id: int, sealed_config: str, channel_name: str
) -> bytes:
    """A "test" notification for one channel; each press of the button is a delivery of its
    own (a fresh key), so the user can test again after fixing a setting."""
    key = delivery_keys.test(channel_id, uuid.uuid4().hex)
    notification = Notification(
        kind="test", key=key, monitor=channel_name, started_at=datetime.now(UTC)
    )
    return encode_delivery(
        Delivery(
            key=delivery_keys.for_channel(key, channel_id),
            channel_kind=kind,
            notification=notification,
            channel_id=channel_id,
            account_id=account_id,
            sealed_config=sealed_config,
        )
    )


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


def account_mail(
    kind: str, key: str, to: str, name: str, url: str, language: str, expires_at: datetime | None
) -> bytes:
    """An account mail (one of ACCOUNT_MAILS: an invitation, a password reset, a sign-up
    link or note) to one address, through the
    notifier's email channel and the operator's relay (VIGIL_SMTP_URL): no account channel
    is involved, so the config travels in clear and names only the recipient."""
    notification = Notification(
        kind=kind, key=key, monitor=name, url=url, language=language, expires_at=expires_at
    )
    return encode_delivery(
        Delivery(
            key=f"{key}/mail", channel_kind="email", notification=notification, config={"to": [to]}
        )
    )


def subscriber_confirmation(
    subscriber_id: int,
    account_id: int,
    address: str,
    page_title: str,
    language: str,
    confirm_url: str,
) -> bytes:
    """The double opt-in mail of a status page subscriber: the only mail an unconfirmed
    address is ever sent. Its key names the subscriber and the link, so a repeat of one
    sign-up is sent once; a new sign-up (a new link) is a delivery of its own."""
    key = f"subscribe/{subscriber_id}/{confirm_url.rsplit('.', 1)[-1][:16]}"
    notification = Notification(
        kind="subscribe_confirm",
        key=key,
        monitor=page_title,
        started_at=datetime.now(UTC),
        url=confirm_url,
        language=language,
    )
    return encode_delivery(
        Delivery(
            key=f"{key}/email",
            channel_kind="email",
            notification=notification,
            account_id=account_id,
            config={"to": [address]},
        )
    )
