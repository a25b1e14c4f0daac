"""The API's deliveries (api/notify.py) are the delivery message of shared/delivery_message.py:
what the API builds decodes, with the notifier's decoder, into exactly the delivery it meant,
and encodes back to the same bytes; a body the notifier would refuse is refused by name."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from api import notify
from notifier.delivery import decode_delivery as notifier_decode
from shared import delivery_keys
from shared.codec import DecodeError
from shared.delivery_message import Delivery, Notification, decode_delivery, encode_delivery

pytestmark = pytest.mark.unit
EXPIRES = datetime(2026, 12, 10, 9, 30, tzinfo=UTC)


def _round_trips(body: bytes) -> Delivery:
    d = decode_delivery(body)
    assert notifier_decode is decode_delivery  # the notifier reads with this very decoder
    assert encode_delivery(d) == body  # nothing the API writes is lost or added on the way
    return d


def _recent(when: datetime | None) -> None:
    assert when is not None and abs(datetime.now(UTC) - when) < timedelta(minutes=1)


def test_a_test_notification_is_a_sealed_delivery_for_its_channel() -> None:
    d = _round_trips(notify.test_delivery(3, "webhook", 11, "gAAAA-sealed", "ops"))
    n = d.notification
    assert (d.channel_kind, d.channel_id, d.account_id, d.config, d.sealed_config) == (
        "webhook",
        3,
        11,
        None,
        "gAAAA-sealed",
    )
    assert (n.kind, n.monitor, n.language) == ("test", "ops", "en")
    assert d.key == delivery_keys.for_channel(n.key, 3) and n.key.startswith("test/3/")
    _recent(n.started_at)


@pytest.mark.parametrize("kind", ["invitation", "password_reset"])
def test_an_account_mail_goes_in_clear_to_one_address(kind: str) -> None:
    body = notify.account_mail(
        kind, f"{kind}/7", "new@example.com", "Boss", "https://vigil.example/t", "nl", EXPIRES
    )
    assert _round_trips(body) == Delivery(
        key=f"{kind}/7/mail",
        channel_kind="email",
        config={"to": ["new@example.com"]},
        notification=Notification(
            kind=kind,
            key=f"{kind}/7",
            monitor="Boss",
            url="https://vigil.example/t",
            language="nl",
            expires_at=EXPIRES,
        ),
    )


def test_a_subscriber_confirmation_names_the_subscriber_and_the_link() -> None:
    d = _round_trips(
        notify.subscriber_confirmation(
            5, 11, "fan@example.com", "Shop status", "fr", "https://vigil.example/c/abc.sig1234"
        )
    )
    n = d.notification
    assert (d.key, d.channel_kind, d.account_id, d.config) == (
        "subscribe/5/sig1234/email",
        "email",
        11,
        {"to": ["fan@example.com"]},
    )
    assert (n.kind, n.monitor, n.url, n.language) == (
        "subscribe_confirm",
        "Shop status",
        "https://vigil.example/c/abc.sig1234",
        "fr",
    )
    _recent(n.started_at)


def _spoiled(path: str, value: object) -> bytes:
    obj = json.loads(
        notify.account_mail(
            "invitation", "invitation/7", "a@example.com", "B", "https://x", "en", EXPIRES
        )
    )
    *parents, leaf = path.split(".")
    target = obj
    for p in parents:
        target = target[p]
    target[leaf] = value
    return json.dumps(obj).encode()


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        ("v", 2, "v=1"),
        ("key", "", "delivery.key"),
        ("account_id", "11", "delivery.account_id"),
        ("channel.config", ["a@example.com"], "delivery.channel"),
        ("notification.kind", "exploded", "notification.kind"),
        ("notification.expires_at", "next tuesday", "notification.expires_at"),
        ("notification.expires_at", "2026-12-10T09:30:00", "notification.expires_at"),
        ("notification.regions", "eu", "notification.regions"),
    ],
)
def test_a_spoiled_body_is_refused_naming_the_field(path: str, value: object, named: str) -> None:
    with pytest.raises(DecodeError, match=named.replace(".", r"\.")):
        decode_delivery(_spoiled(path, value))
