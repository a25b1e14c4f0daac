"""What an owner's create or change of a status page does to who may read it.

Turns `visibility`, `password`, `allowed_domains` and `rotate_feed_token` of a body into
the columns stored:
the password's argon2 hash (made off the event loop, as account passwords are) and a feed
token, made when a page first becomes private and kept until the owner rotates it.
"""

from __future__ import annotations

import secrets
from typing import Any

import anyio
from fastapi import Request
from fastapi.exceptions import RequestValidationError

from api import security
from api.page_access import EMAIL_DOMAIN, PASSWORD, PUBLIC


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError(
        [
            {
                "type": "value_error",
                "loc": ("body", field),
                "input": None,
                "msg": f"Value error, {message}",
            }
        ]
    )


async def columns(request: Request, changes: dict[str, Any], old: Any | None) -> dict[str, Any]:
    """The status_pages columns for these body fields (popped from `changes`), given the
    page as it was (None: a new page). 422 naming the field when they do not fit."""
    password = changes.pop("password", None)
    rotate = changes.pop("rotate_feed_token", False)
    for field in ("visibility", "allowed_domains"):
        if changes.get(field, "") is None:
            changes.pop(field)  # null: leave as is
    visibility = changes.get("visibility", old.visibility if old is not None else PUBLIC)
    had_password = old is not None and old.password_hash is not None
    if visibility != PASSWORD and password is not None:
        raise _invalid("password", "only a password-protected page (visibility: password) has one")
    # A page that stops asking for its password forgets it: asked again, it needs a new one.
    out: dict[str, Any] = {"password_hash": None} if had_password else {}
    if visibility == PUBLIC:
        return out
    if visibility == EMAIL_DOMAIN:
        domains = changes.get("allowed_domains", old.allowed_domains if old else [])
        if not domains:
            raise _invalid("allowed_domains", "an email_domain page needs at least one domain")
    elif password is None and not had_password:
        raise _invalid("password", "a password-protected page needs a password")
    else:
        out = {}
        if password is not None:
            out["password_hash"] = await anyio.to_thread.run_sync(
                security.hash_password, password, limiter=request.app.state.hash_limiter
            )
    if rotate or old is None or old.feed_token is None:
        out["feed_token"] = secrets.token_urlsafe(24)
    return out
