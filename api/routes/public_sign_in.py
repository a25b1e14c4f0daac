"""A visitor's sign-in to an `email_domain` status page: a one-time link by mail.

POST .../sign-in {"email"} mails a link to an address at one of the page's allowed domains,
through the notifier's email channel (the operator's relay), like a subscriber's
confirmation. The link carries `<id>.<secret>`; only the secret's SHA-256 is stored. POST
.../sign-in/confirm {"token"} spends it once (a conditional UPDATE: a second use, or one
after SIGN_IN_TTL, finds nothing) and answers an access token, as the right password does.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, EmailStr, Field
from sqlalchemy import func, insert, select, update

from api import notify, page_access
from api.deps import Conn
from api.ratelimit import forwarded_client
from api.routes import PREFIX
from api.routes.public import Slug
from api.routes.public_access import AccessOut
from api.schemas import ErrorOut
from shared.tables import status_page_sign_ins, status_pages

router = APIRouter(prefix=f"{PREFIX}/public", tags=["public"])
SIGN_IN_TTL = timedelta(minutes=30)
MAX_TOKEN = 120
sign_ins = status_page_sign_ins


class SignInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=254)


class SignInConfirmIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    token: str = Field(min_length=3, max_length=MAX_TOKEN)


class SentOut(BaseModel):
    detail: str


def _sha(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def _page(conn: Conn, slug: str, request: Request) -> Any:
    page = (
        await conn.execute(
            select(
                status_pages.c.id,
                status_pages.c.title,
                status_pages.c.language,
                status_pages.c.visibility,
                status_pages.c.allowed_domains,
                status_pages.c.password_hash,
            ).where(
                status_pages.c.slug == slug, status_pages.c.visibility == page_access.EMAIL_DOMAIN
            )
        )
    ).first()
    if page is None:
        raise await page_access.elsewhere(request, slug) or HTTPException(
            status.HTTP_404_NOT_FOUND, "no status page that takes a sign-in"
        )
    return page


@router.post(
    "/status-pages/{slug}/sign-in",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SentOut,
    responses={404: {"model": ErrorOut}, 429: {"model": ErrorOut}, 503: {"model": ErrorOut}},
)
async def ask_sign_in(slug: Slug, body: SignInIn, request: Request, conn: Conn) -> SentOut:
    address = body.email.lower()
    settings = request.app.state.settings
    request.app.state.subscribe_limits.check(
        request, "page-sign-in", address, forwarded_client(request, settings.trusted_proxies)
    )
    page = await _page(conn, slug, request)
    if address.rsplit("@", 1)[1] not in page.allowed_domains:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("body", "email"),
                    "input": None,
                    "msg": "Value error, addresses of this domain may not see this page",
                }
            ]
        )
    secret = secrets.token_urlsafe(24)
    expires = datetime.now(UTC) + SIGN_IN_TTL
    row_id = await conn.scalar(
        insert(sign_ins)
        .values(page_id=page.id, email=address, secret_sha256=_sha(secret), expires_at=expires)
        .returning(sign_ins.c.id)
    )
    await conn.commit()
    token = f"{row_id}.{secret}"
    url = f"{settings.public_url.rstrip('/')}/s/{quote(slug)}/sign-in?token={quote(token)}"
    mail = notify.account_mail(
        "page_sign_in", f"page-sign-in/{row_id}", address, page.title, url, page.language, expires
    )
    try:
        await request.app.state.deliveries.publish(mail)
    except notify.Unavailable:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "mail cannot be sent right now; try again later"
        ) from None
    return SentOut(detail="sign-in link sent")


@router.post(
    "/status-pages/{slug}/sign-in/confirm",
    response_model=AccessOut,
    responses={
        400: {"model": ErrorOut, "description": "not a link of this page, used, or expired"},
        404: {"model": ErrorOut},
    },
)
async def confirm_sign_in(
    slug: Slug, body: SignInConfirmIn, request: Request, conn: Conn
) -> AccessOut:
    page = await _page(conn, slug, request)
    ident, _, secret = body.token.partition(".")
    row = None
    if ident.isdigit() and secret and int(ident) < 2**63:
        row = (
            await conn.execute(
                select(sign_ins.c.secret_sha256, sign_ins.c.email).where(
                    sign_ins.c.id == int(ident), sign_ins.c.page_id == page.id
                )
            )
        ).first()
    if row is None or not hmac.compare_digest(row.secret_sha256, _sha(secret)):
        raise _bad_link()
    # Spent once, before it expires, while its address is still of an allowed domain.
    spent = await conn.execute(
        update(sign_ins)
        .where(
            sign_ins.c.id == int(ident),
            sign_ins.c.used_at.is_(None),
            sign_ins.c.expires_at > func.now(),
        )
        .values(used_at=func.now())
    )
    await conn.commit()
    if spent.rowcount != 1 or row.email.rsplit("@", 1)[1] not in page.allowed_domains:
        raise _bad_link()
    token, expires = page_access.issue(
        request.app.state.settings, page.id, page_access.stamp_of(page)
    )
    return AccessOut(access_token=token, expires_at=datetime.fromtimestamp(expires, UTC))


def _bad_link() -> HTTPException:
    return HTTPException(
        status.HTTP_400_BAD_REQUEST,
        "token: this sign-in link was used already, has expired or is not "
        "this page's; ask for a new one",
    )
