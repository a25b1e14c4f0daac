"""POST /public/status-pages/{slug}/access: a visitor gives a private page's password.

A right password answers an access token (`api.page_access`), which the frontend keeps in
a cookie and forwards in X-Vigil-Page-Access. Attempts are rate limited per client and per
page, so a page's password cannot be guessed quickly from one address or from many.
"""

from __future__ import annotations

from datetime import UTC, datetime

import anyio
from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from api import page_access, security
from api.deps import Conn
from api.ratelimit import forwarded_client
from api.routes import PREFIX
from api.routes.public import Slug
from api.schemas import ErrorOut, Password
from shared.tables import status_pages

router = APIRouter(prefix=f"{PREFIX}/public", tags=["public"])


class AccessIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    password: Password = Field(min_length=1)


class AccessOut(BaseModel):
    access_token: str = Field(description="send it as X-Vigil-Page-Access to read the page")
    expires_at: datetime


WRONG = HTTPException(
    status.HTTP_401_UNAUTHORIZED, "wrong password", headers={"x-robots-tag": "noindex, nofollow"}
)


@router.post(
    "/status-pages/{slug}/access",
    response_model=AccessOut,
    responses={
        401: {"model": ErrorOut, "description": "wrong password"},
        404: {"model": ErrorOut, "description": "no password-protected page of this slug"},
        429: {"model": ErrorOut, "description": "too many attempts"},
    },
)
async def give_password(slug: Slug, body: AccessIn, request: Request, conn: Conn) -> AccessOut:
    settings = request.app.state.settings
    request.app.state.page_password_limits.check(
        request, "page-password", slug, forwarded_client(request, settings.trusted_proxies)
    )
    page = (
        await conn.execute(
            select(status_pages.c.id, status_pages.c.password_hash).where(
                status_pages.c.slug == slug, status_pages.c.visibility == page_access.PASSWORD
            )
        )
    ).first()
    if page is None or page.password_hash is None:
        raise await page_access.elsewhere(request, slug) or HTTPException(
            status.HTTP_404_NOT_FOUND, "no password-protected status page"
        )
    right = await anyio.to_thread.run_sync(
        security.verify_password,
        page.password_hash,
        body.password,
        limiter=request.app.state.hash_limiter,
    )
    if not right:
        raise WRONG
    token, expires = page_access.issue(settings, page.id, page.password_hash)  # its stamp
    return AccessOut(access_token=token, expires_at=datetime.fromtimestamp(expires, UTC))
