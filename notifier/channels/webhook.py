"""Generic webhook: the event as JSON, POSTed and signed so the receiver can verify it.

The signature is HMAC-SHA256, keyed by the channel's secret, over `<timestamp>.<body>`:
`X-Vigil-Signature: sha256=<hex>` with `X-Vigil-Timestamp: <unix seconds>`. Signing the
timestamp with the body lets a receiver reject replays of an old, captured request
(`verify` below, with a tolerance of five minutes, is what a receiver does).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from notifier.channels.base import Context, need
from notifier.message import Notification
from notifier.render import document

TOLERANCE_S = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float | None = None,
    tolerance_s: int = TOLERANCE_S,
) -> bool:
    """What a receiver checks: the signature matches and the timestamp is fresh."""
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance_s and hmac.compare_digest(sign(secret, timestamp, body), signature)


async def send(notification: Notification, config: Mapping[str, Any], ctx: Context) -> str:
    url = need(config, "url")
    secret = need(config, "secret")
    body = json.dumps(document(notification), separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    return await ctx.http.post(
        url,
        body,
        {
            "Content-Type": "application/json",
            "X-Vigil-Event": notification.kind,
            "X-Vigil-Key": notification.key,
            "X-Vigil-Timestamp": timestamp,
            "X-Vigil-Signature": sign(secret, timestamp, body),
        },
    )
