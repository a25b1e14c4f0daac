"""One delivery: a notification for one channel, as it travels on the deliveries queue.

JSON on the wire: deliveries are few (an incident's worth, not a result's), and an operator
reading a dead-lettered one should see what it was. The channel's settings travel sealed
(`shared.secrets`), since they hold passwords and tokens, or in clear for a test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from notifier.message import Notification
from shared.codec import DecodeError

WIRE_VERSION = 1
MAX_BODY = 256 * 1024
MAX_KEY = 200


@dataclass(frozen=True)
class Delivery:
    key: str  # idempotency key: a delivery with a key already sent is not sent again
    channel_kind: str
    notification: Notification
    channel_id: int | None = None
    account_id: int | None = None
    config: dict[str, Any] | None = None  # in clear (tests, the operator's own channels)
    sealed_config: str | None = None  # shared.secrets.encrypt_json of the config


def delivery_key(event_key: str, channel: str | int) -> str:
    """One event told to one channel: the unit that is sent once."""
    return f"{event_key}/{channel}"[:MAX_KEY]


def encode_delivery(d: Delivery) -> bytes:
    channel: dict[str, Any] = {"kind": d.channel_kind, "id": d.channel_id}
    if d.sealed_config is not None:
        channel["sealed"] = d.sealed_config
    else:
        channel["config"] = d.config or {}
    return json.dumps({"v": WIRE_VERSION, "key": d.key, "account_id": d.account_id,
                       "channel": channel, "notification": d.notification.to_dict()},
                      separators=(",", ":")).encode()


def decode_delivery(body: bytes) -> Delivery:
    if len(body) > MAX_BODY:
        raise DecodeError(f"delivery: {len(body)} bytes, more than {MAX_BODY}")
    try:
        obj = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(f"delivery: not JSON: {exc}") from None
    if not isinstance(obj, dict) or obj.get("v") != WIRE_VERSION:
        raise DecodeError(f"delivery: expected an object with v={WIRE_VERSION}")
    key, channel = obj.get("key"), obj.get("channel")
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY:
        raise DecodeError(f"delivery.key: expected 1-{MAX_KEY} characters")
    if not isinstance(channel, dict) or not isinstance(channel.get("kind"), str):
        raise DecodeError("delivery.channel: expected an object with a kind")
    config, sealed = channel.get("config"), channel.get("sealed")
    if (config is None) == (sealed is None) or config is not None and not isinstance(
            config, dict) or sealed is not None and not isinstance(sealed, str):
        raise DecodeError("delivery.channel: needs a config object or a sealed string")
    return Delivery(key=key, channel_kind=channel["kind"][:32],
                    notification=Notification.from_dict(obj.get("notification")),
                    channel_id=_id(channel.get("id"), "channel.id"),
                    account_id=_id(obj.get("account_id"), "account_id"),
                    config=config, sealed_config=sealed)


def _id(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**63:
        raise DecodeError(f"delivery.{what}: expected a positive integer")
    return value
