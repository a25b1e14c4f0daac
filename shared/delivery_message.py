"""The delivery message: a notification for one channel, as it travels on the deliveries queue.

The one definition of what the API (test notifications, account mails, subscriber
confirmations) and the notifier's own fan-out publish, and of what the notifier's engine
accepts: `encode_delivery` and `decode_delivery` are the two sides of one contract, guarded by
round-trip tests (tests/notifier/test_delivery.py; the API's builders in
tests/api/test_notify_message.py).

JSON on the wire: deliveries are few (an incident's worth, not a result's), and an operator
reading a dead-lettered one should see what it was. The channel's settings travel sealed
(`shared.secrets`), since they hold passwords and tokens, or in clear (tests, account mails).

Channels take a `Notification`, never a database row, so each can be tested alone. It carries
everything a message needs (no channel looks anything up) and depends on nothing but the
standard library.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.codec import DecodeError
from shared.delivery_keys import MAX_KEY
from shared.messages import PAGE_EVENT_KINDS

# opened: an incident starts; confirmed: other regions agree; updated: a note on it;
# resolved: it ends; reminder: it is still open; cert_expiring: a certificate nears its end;
# test: the "send test notification" action of a channel; invitation and password_reset:
# account mails of the API (`monitor` names the inviter, or the address; `url` is the link,
# `expires_at` when it stops working); subscribe_confirm: the double opt-in mail of a status
# page subscriber (its `monitor` is the page's title, `url` the link); manual_* and
# maintenance_*: the owner's news on a status page, for its subscribers (`monitor` is the
# incident's or window's title; see shared.messages.PAGE_EVENT_KINDS and notifier.page_notices);
# signup_confirm: the link that makes a signed-up account (`monitor` the address, `url` the link,
# `expires_at` its end); signup_taken: to an address that already has a log-in, that someone
# tried to sign up with it (`monitor` the address, `url` the log-in page);
# page_sign_in: the one-time sign-in link to a private status page (`monitor` the page's title,
# `url` the link, `expires_at` when it stops working).
EVENT_KINDS = (
    "opened",
    "confirmed",
    "updated",
    "resolved",
    "reminder",
    "cert_expiring",
    "test",
    "invitation",
    "password_reset",
    "subscribe_confirm",
    "page_sign_in",
    "signup_confirm",
    "signup_taken",
    *PAGE_EVENT_KINDS,
)
ACCOUNT_MAILS = ("invitation", "password_reset", "page_sign_in", "signup_confirm", "signup_taken")
LANGUAGES = ("en", "nl", "de", "fr", "es")
MAX_TEXT = 2000  # a field longer than this is truncated, not refused: the alert still goes
WIRE_VERSION = 1
MAX_BODY = 256 * 1024  # bytes: a delivery larger than this is refused


@dataclass(frozen=True)
class RegionEvidence:
    """What one region saw: its verdict and, when it failed, why."""

    region: str
    status: str  # down | up | degraded
    detail: str = ""


@dataclass(frozen=True)
class Notification:
    """One event to tell a channel about, in the account's language."""

    kind: str
    key: str  # idempotency key of the event; a delivery adds the channel to it
    monitor: str
    target: str = ""
    regions: tuple[RegionEvidence, ...] = ()
    started_at: datetime | None = None
    resolved_at: datetime | None = None
    incident_id: int | None = None
    url: str = ""  # the dashboard or status page where the incident is shown
    language: str = "en"
    note: str = ""  # the text of an update
    expires_at: datetime | None = None  # of the certificate, for cert_expiring
    extra: dict[str, Any] = field(default_factory=dict)  # passed through to webhooks

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "monitor": self.monitor,
            "target": self.target,
            "regions": [
                {"region": r.region, "status": r.status, "detail": r.detail} for r in self.regions
            ],
            "started_at": _iso(self.started_at),
            "resolved_at": _iso(self.resolved_at),
            "incident_id": self.incident_id,
            "url": self.url,
            "language": self.language,
            "note": self.note,
            "expires_at": _iso(self.expires_at),
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, obj: Any) -> Notification:
        """Validate a wire dict; raises DecodeError naming the bad field."""
        if not isinstance(obj, dict):
            raise DecodeError("notification: expected an object")
        kind = _text(obj, "kind", required=True)
        if kind not in EVENT_KINDS:
            raise DecodeError(f"notification.kind: {kind!r} is not one of {EVENT_KINDS}")
        language = _text(obj, "language") or "en"
        incident_id = obj.get("incident_id")
        if incident_id is not None and (
            not isinstance(incident_id, int) or isinstance(incident_id, bool)
        ):
            raise DecodeError("notification.incident_id: expected an integer")
        extra = {} if obj.get("extra") is None else obj["extra"]
        if not isinstance(extra, dict):
            raise DecodeError("notification.extra: expected an object")
        return cls(
            kind=kind,
            key=_text(obj, "key", required=True),
            monitor=_text(obj, "monitor", required=True),
            target=_text(obj, "target"),
            regions=_regions(obj.get("regions")),
            started_at=_time(obj, "started_at"),
            resolved_at=_time(obj, "resolved_at"),
            incident_id=incident_id,
            url=_text(obj, "url"),
            language=language if language in LANGUAGES else "en",
            note=_text(obj, "note"),
            expires_at=_time(obj, "expires_at"),
            extra=extra,
        )


@dataclass(frozen=True)
class Delivery:
    key: str  # idempotency key: a delivery with a key already sent is not sent again
    channel_kind: str
    notification: Notification
    channel_id: int | None = None
    account_id: int | None = None
    config: dict[str, Any] | None = None  # in clear (tests, the operator's own channels)
    sealed_config: str | None = None  # shared.secrets.encrypt_json of the config


def encode_delivery(d: Delivery) -> bytes:
    channel: dict[str, Any] = {"kind": d.channel_kind, "id": d.channel_id}
    if d.sealed_config is not None:
        channel["sealed"] = d.sealed_config
    else:
        channel["config"] = d.config or {}
    return json.dumps(
        {
            "v": WIRE_VERSION,
            "key": d.key,
            "account_id": d.account_id,
            "channel": channel,
            "notification": d.notification.to_dict(),
        },
        separators=(",", ":"),
    ).encode()


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
    if (
        (config is None) == (sealed is None)
        or config is not None
        and not isinstance(config, dict)
        or sealed is not None
        and not isinstance(sealed, str)
    ):
        raise DecodeError("delivery.channel: needs a config object or a sealed string")
    return Delivery(
        key=key,
        channel_kind=channel["kind"][:32],
        notification=Notification.from_dict(obj.get("notification")),
        channel_id=_id(channel.get("id"), "channel.id"),
        account_id=_id(obj.get("account_id"), "account_id"),
        config=config,
        sealed_config=sealed,
    )


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat()


def _text(obj: dict[str, Any], key: str, required: bool = False) -> str:
    value = obj.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise DecodeError(
            f"notification.{key}: expected a non-empty string"
            if required
            else f"notification.{key}: expected a string"
        )
    return value[:MAX_TEXT]


def _time(obj: dict[str, Any], key: str) -> datetime | None:
    value = obj.get(key)
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise DecodeError(f"notification.{key}: expected an ISO-8601 time") from None
    if when.tzinfo is None:
        raise DecodeError(f"notification.{key}: the time needs a UTC offset")
    return when.astimezone(UTC)


def _regions(value: Any) -> tuple[RegionEvidence, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > 100:
        raise DecodeError("notification.regions: expected a list of at most 100")
    out = []
    for item in value:
        if not isinstance(item, dict):
            raise DecodeError("notification.regions: expected objects")
        region, status, detail = item.get("region"), item.get("status"), item.get("detail", "")
        if (
            not isinstance(region, str)
            or status not in ("down", "up", "degraded")
            or not isinstance(detail, str)
        ):
            raise DecodeError(
                "notification.regions: each needs region, status (down, up "
                "or degraded) and a text detail"
            )
        out.append(RegionEvidence(region[:64], status, detail[:MAX_TEXT]))
    return tuple(out)


def _id(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**63:
        raise DecodeError(f"delivery.{what}: expected a positive integer")
    return value
