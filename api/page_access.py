"""Who may read a private status page: its password's signed access tokens, its feed token.

A visitor who gave the password (or followed a sign-in link mailed to an allowed address)
gets an access token, `<page id>.<expiry>.<signature>`; the signature (HMAC-SHA256 under a
key derived from VIGIL_SECRET_KEY) covers the page's `stamp`: its current password hash, or
its list of allowed domains, so a new password (or a changed list) revokes every token
issued before it. Feed readers and badges can neither type a password nor read mail: they
carry the page's random feed token in the URL.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import time
from typing import Annotated, Any, NamedTuple
from urllib.parse import parse_qs

import orjson
from fastapi import HTTPException, Query, Request, Response

from api import public_cache
from shared.config import Settings

PUBLIC = "public"
PASSWORD = "password"
EMAIL_DOMAIN = "email_domain"
VISIBILITIES = (PUBLIC, PASSWORD, EMAIL_DOMAIN)
HEADER = "x-vigil-page-access"  # the access token, as the frontend forwards its cookie
NOINDEX = public_cache.NOINDEX
MAX_TOKEN = 200
TokenQ = Annotated[
    str | None,
    Query(
        max_length=MAX_TOKEN,
        description=("a private page's feed token (the owner reads it on the page: `feed_token`)"),
    ),
]


class Guard(NamedTuple):
    """What a private page's cached answer needs to decide who may read it."""

    page_id: int
    visibility: str  # password | email_domain
    stamp: str  # what the access tokens are signed over: revoked when it changes
    feed_token: str


def stamp_of(page: Any) -> str:
    """A private page's stamp: its password hash, or its allowed domains ("" if none)."""
    if page.visibility == EMAIL_DOMAIN:
        domains = sorted(page.allowed_domains or [])
        return "domains:" + ",".join(domains) if domains else ""
    return page.password_hash or ""


def guard_of(page: Any) -> Guard | None:
    """The guard of a status_pages row; None for a public page."""
    if getattr(page, "visibility", PUBLIC) == PUBLIC:
        return None
    return Guard(page.id, page.visibility, stamp_of(page), page.feed_token or "")


def _key(settings: Settings) -> bytes:
    return _derived(settings.secret_key)


@functools.lru_cache(maxsize=4)
def _derived(secret_key: str) -> bytes:
    # Derived, like the API's JWT key: VIGIL_SECRET_KEY signs other things too.
    return hmac.new(secret_key.encode(), b"vigil status page access", hashlib.sha256).digest()


def _signature(settings: Settings, page_id: int, expires: int, stamp: str) -> str:
    message = f"{page_id}.{expires}.{stamp}".encode()
    digest = hmac.new(_key(settings), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue(
    settings: Settings, page_id: int, stamp: str, now: float | None = None
) -> tuple[str, int]:
    """An access token to the page and when it expires (Unix seconds)."""
    expires = int(time.time() if now is None else now) + settings.page_access_ttl_s
    return f"{page_id}.{expires}.{_signature(settings, page_id, expires, stamp)}", expires


def token_valid(settings: Settings, token: str, guard: Guard, now: float | None = None) -> bool:
    """Whether the token is this page's, unexpired, and signed over its current stamp."""
    parts = token.split(".")
    if len(token) > MAX_TOKEN or len(parts) != 3 or not guard.stamp:
        return False
    page_id, expires, signature = parts
    if page_id != str(guard.page_id) or not expires.isdigit():
        return False
    if int(expires) < (time.time() if now is None else now):
        return False
    wanted = _signature(settings, guard.page_id, int(expires), guard.stamp)
    return hmac.compare_digest(wanted.encode(), signature.encode())


def feed_token_valid(guard: Guard, token: str | None) -> bool:
    return bool(token and guard.feed_token) and hmac.compare_digest(
        guard.feed_token.encode(), (token or "").encode()
    )


def allowed(request: Request, guard: Guard | None, feeds_only: bool = False) -> bool:
    """Whether this request may read the page: always for a public page; else with the feed
    token in `?token=`, or (the page itself, not its feeds) a valid access token."""
    if guard is None:
        return True
    if feed_token_valid(guard, request.query_params.get("token")):
        return True
    access = request.headers.get(HEADER)
    return (
        not feeds_only
        and access is not None
        and token_valid(request.app.state.settings, access, guard)
    )


def refused(guard: Guard | None = None) -> Response:
    """The 401 of a private page asked without what opens it; never cached, never indexed.
    Its `visibility` tells the frontend which form to show."""
    email = guard is not None and guard.visibility == EMAIL_DOMAIN
    detail = (
        "it needs a sign-in with an allowed email address" if email else "it needs its password"
    )
    body = orjson.dumps(
        {
            "detail": f"this status page is private: {detail}",
            "visibility": EMAIL_DOMAIN if email else PASSWORD,
        }
    )
    return Response(
        body,
        status_code=401,
        media_type="application/json",
        headers={
            "cache-control": "no-store",
            "x-robots-tag": "noindex, nofollow",
            "www-authenticate": 'VigilPage realm="status page"',
        },
    )


def locked() -> HTTPException:
    """The 401 of a private page's feed or badge asked without its token."""
    return HTTPException(
        401,
        "this status page is private: its feeds and badges need its token (?token=)",
        headers={"cache-control": "no-store", "x-robots-tag": "noindex, nofollow"},
    )


def gate(settings: Settings) -> public_cache.Gate:
    """What lets a request read a private page's cached answer before FastAPI (the route's
    `allowed`, on the raw ASGI scope): its access token header or its `?token=`."""

    def let_in(guard: object, scope: Any) -> bool:
        assert isinstance(guard, Guard)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if feed_token_valid(guard, (query.get("token") or [None])[0]):
            return True
        for name, value in scope.get("headers", ()):
            if name == HEADER.encode():
                return token_valid(settings, bytes(value).decode("latin-1"), guard)
        return False

    return let_in


async def elsewhere(request: Request, slug: str) -> HTTPException | None:
    """A 307 to the cell that holds the slug, when another does (the frontend asks its own
    API, which may be any cell's); None when it is this cell's or nobody's."""
    directory = request.app.state.directory
    if directory is None:
        return None
    cell = await directory.locate_slug(slug)
    if cell is None or cell.name == request.app.state.settings.cell:
        return None
    return HTTPException(
        307,
        "the page is in another cell",
        headers={"location": f"{cell.api_url}{request.url.path}"},
    )
