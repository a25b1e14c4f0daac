"""What a channel is told: one plain dataclass, and its JSON-able wire form.

Channels take a `Notification`, never a database row, so each can be tested alone. It carries
everything a message needs (no channel looks anything up) and depends on nothing but the
standard library, so a publisher outside the notifier can build one from its own data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.codec import DecodeError

# opened: an incident starts; confirmed: other regions agree; updated: a note on it;
# resolved: it ends; reminder: it is still open; cert_expiring: a certificate nears its end;
# test: the "send test notification" action of a channel.
EVENT_KINDS = ("opened", "confirmed", "updated", "resolved", "reminder", "cert_expiring", "test")
LANGUAGES = ("en", "nl", "de", "fr", "es")
MAX_TEXT = 2000  # a field longer than this is truncated, not refused: the alert still goes


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
            "kind": self.kind, "key": self.key, "monitor": self.monitor, "target": self.target,
            "regions": [{"region": r.region, "status": r.status, "detail": r.detail}
                        for r in self.regions],
            "started_at": _iso(self.started_at), "resolved_at": _iso(self.resolved_at),
            "incident_id": self.incident_id, "url": self.url, "language": self.language,
            "note": self.note, "expires_at": _iso(self.expires_at), "extra": self.extra,
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
        if incident_id is not None and (not isinstance(incident_id, int)
                                        or isinstance(incident_id, bool)):
            raise DecodeError("notification.incident_id: expected an integer")
        extra = {} if obj.get("extra") is None else obj["extra"]
        if not isinstance(extra, dict):
            raise DecodeError("notification.extra: expected an object")
        return cls(
            kind=kind, key=_text(obj, "key", required=True),
            monitor=_text(obj, "monitor", required=True), target=_text(obj, "target"),
            regions=_regions(obj.get("regions")),
            started_at=_time(obj, "started_at"), resolved_at=_time(obj, "resolved_at"),
            incident_id=incident_id, url=_text(obj, "url"),
            language=language if language in LANGUAGES else "en",
            note=_text(obj, "note"), expires_at=_time(obj, "expires_at"), extra=extra,
        )


def target_of(config: Any) -> str:
    """What a test checks, from its config (a dict or JSON text): a URL for every kind."""
    if isinstance(config, str):
        config = json.loads(config)
    if not isinstance(config, dict):
        return ""
    return str(config.get("url") or config.get("host") or "")[:500]


def known_language(language: Any) -> str:
    return language if language in LANGUAGES else "en"


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat()


def _text(obj: dict[str, Any], key: str, required: bool = False) -> str:
    value = obj.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise DecodeError(f"notification.{key}: expected a non-empty string"
                          if required else f"notification.{key}: expected a string")
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
        if not isinstance(region, str) or status not in ("down", "up", "degraded") \
                or not isinstance(detail, str):
            raise DecodeError("notification.regions: each needs region, status (down, up "
                              "or degraded) and a text detail")
        out.append(RegionEvidence(region[:64], status, detail[:MAX_TEXT]))
    return tuple(out)
