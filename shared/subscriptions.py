"""Status page subscriptions: the signed tokens of their links and the links themselves.

The API writes the confirmation link and checks both kinds of token; the notifier writes the
unsubscribe link of every mail. Both import this module, so the two can never disagree.

A token is `<subscriber id>.<expiry, unix s, 0 = never>.<mac>`, the MAC an HMAC-SHA256 of
purpose, id and expiry under a key derived from VIGIL_SECRET_KEY: a token of one purpose is
no good for the other. Subscriber ids are never reused, so an address that unsubscribed and
signed up again has a new id, and the old links name a subscriber that is gone.
Confirmation tokens expire; unsubscribe tokens never do, since a one-click link in a
year-old mail must still work.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import quote

CONFIRM = "confirm"
UNSUBSCRIBE = "unsubscribe"
PURPOSES = (CONFIRM, UNSUBSCRIBE)
CONFIRM_TTL_S = 7 * 86400
MAX_TOKEN = 200


class BadToken(ValueError):
    """Not a token of ours, of another purpose, tampered with or expired."""


@dataclass(frozen=True)
class Token:
    subscriber_id: int
    expires: int  # unix seconds, 0 = never


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"vigil status subscribers v1", hashlib.sha256).digest()


def _mac(secret: str, purpose: str, subscriber_id: int, expires: int) -> str:
    msg = f"{purpose}\n{subscriber_id}\n{expires}".encode()
    digest = hmac.new(_key(secret), msg, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def make(secret: str, purpose: str, subscriber_id: int, now: float | None = None) -> str:
    expires = (
        0 if purpose == UNSUBSCRIBE else int(time.time() if now is None else now) + CONFIRM_TTL_S
    )
    return f"{subscriber_id}.{expires}.{_mac(secret, purpose, subscriber_id, expires)}"


def _parse(token: str) -> Token:
    parts = token.split(".") if isinstance(token, str) and len(token) <= MAX_TOKEN else []
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        raise BadToken("token: not a subscription token")
    return Token(int(parts[0]), int(parts[1]))


def verify(secret: str, purpose: str, token: str, now: float | None = None) -> Token:
    """The token's claims if it is ours, of this purpose, untouched and not expired."""
    claims = _parse(token)
    good = _mac(secret, purpose, claims.subscriber_id, claims.expires)
    if not hmac.compare_digest(good, token.rsplit(".", 1)[1]):
        raise BadToken("token: signature does not match")
    if claims.expires and claims.expires < (time.time() if now is None else now):
        raise BadToken("token: expired; subscribe again")
    return claims


def link(public_url: str, slug: str, purpose: str, token: str) -> str:
    """Where a token is used: the frontend's page for it."""
    return f"{public_url}/s/{quote(slug)}/subscription/{purpose}?token={quote(token)}"
