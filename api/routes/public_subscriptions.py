"""Public sign-up to a status page's news by email: subscribe, confirm, unsubscribe.

Double opt-in: a sign-up stores an unconfirmed row and sends the confirmation link, and
nothing else is ever sent to that address until the link is followed. Every answer to a
sign-up is the same 202, whether the address was new, waiting or already confirmed, so a
stranger learns nothing of who subscribed; an address already confirmed is sent nothing.
Sign-ups are rate limited per client IP and per address (`api.ratelimit`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from api import notify, page_access
from api.deps import Conn
from api.ratelimit import forwarded_client
from api.resource_schemas import SLUG_PATTERN
from api.routes import PREFIX
from api.schemas import MAX_ID, ErrorOut
from api.subscriptions import MAX_SCOPE, check_scope
from shared import subscriptions as tokens
from shared.tables import status_pages, status_subscribers

router = APIRouter(prefix=f"{PREFIX}/public", tags=["public"])
ss = status_subscribers
Slug = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=63)]
ACCEPTED = {"detail": "if the address can receive mail, a confirmation link is on its way"}


class SubscribeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=254)
    monitor_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        default=None, min_length=1, max_length=MAX_SCOPE
    )
    groups: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, min_length=1, max_length=MAX_SCOPE
    )


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=tokens.MAX_TOKEN)


class SubscriptionOut(BaseModel):
    detail: str
    page: str | None = None  # the slug, for the page that answers the visitor


@router.post(
    "/status-pages/{slug}/subscribers",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubscriptionOut,
    responses={404: {"model": ErrorOut}, 429: {"model": ErrorOut}, 503: {"model": ErrorOut}},
)
async def subscribe(
    slug: Slug, body: SubscribeIn, request: Request, conn: Conn
) -> dict[str, Any] | Response:
    address = body.email.lower()
    settings = request.app.state.settings
    request.app.state.subscribe_limits.check(
        request, "subscribe", address, forwarded_client(request, settings.trusted_proxies)
    )
    page = (
        await conn.execute(
            select(
                status_pages.c.id,
                status_pages.c.account_id,
                status_pages.c.title,
                status_pages.c.language,
                status_pages.c.visibility,
                status_pages.c.password_hash,
                status_pages.c.feed_token,
                status_pages.c.allowed_domains,
            ).where(status_pages.c.slug == slug)
        )
    ).first()
    if page is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "status page not found")
    guard = page_access.guard_of(page)
    if not page_access.allowed(request, guard):  # its mails would tell a stranger about it
        return page_access.refused(guard)
    await check_scope(conn, page.id, body.monitor_ids, body.groups)
    row = await _store(conn, page, address, body)
    await conn.commit()
    if row.confirmed_at is None:
        await _send_confirmation(request, page, row.id, address, slug)
    return ACCEPTED


async def _store(conn: Conn, page: Any, address: str, body: SubscribeIn) -> Any:
    """A new or still-waiting subscriber takes the scope asked for; a confirmed one is left
    as it is (a stranger cannot change what someone else hears of)."""
    values = {
        "page_id": page.id,
        "account_id": page.account_id,
        "kind": "email",
        "address": address,
        "monitor_ids": body.monitor_ids,
        "groups": body.groups,
        "language": page.language,
    }
    query = insert(ss).values(**values)
    query = query.on_conflict_do_update(
        constraint="status_subscribers_page_address",
        set_={"monitor_ids": query.excluded.monitor_ids, "groups": query.excluded.groups},
        where=ss.c.confirmed_at.is_(None),
    )
    row = (await conn.execute(query.returning(ss.c.id, ss.c.confirmed_at))).first()
    if row is None:  # confirmed already: the conflict's update was skipped
        row = (
            await conn.execute(
                select(ss.c.id, ss.c.confirmed_at).where(
                    ss.c.page_id == page.id, ss.c.kind == "email", ss.c.address == address
                )
            )
        ).one()
    return row


async def _send_confirmation(
    request: Request, page: Any, subscriber_id: int, address: str, slug: str
) -> None:
    settings = request.app.state.settings
    token = tokens.make(settings.secret_key, tokens.CONFIRM, subscriber_id)
    url = tokens.link(settings.public_url, slug, tokens.CONFIRM, token)
    body = notify.subscriber_confirmation(
        subscriber_id, page.account_id, address, page.title, page.language, url
    )
    try:
        await request.app.state.deliveries.publish(body)
    except notify.Unavailable:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "mail cannot be sent right now; try again later"
        ) from None


async def _subscriber(conn: Conn, request: Request, purpose: str, token: str) -> Any:
    """The subscriber a token names (None if gone), once its signature holds; a 400
    naming the token otherwise."""
    try:
        claims = tokens.verify(request.app.state.settings.secret_key, purpose, token)
    except tokens.BadToken as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    return (
        await conn.execute(
            select(ss.c.id, ss.c.confirmed_at, status_pages.c.slug)
            .join(status_pages, status_pages.c.id == ss.c.page_id)
            .where(ss.c.id == claims.subscriber_id)
        )
    ).first()


@router.post(
    "/subscriptions/confirm",
    response_model=SubscriptionOut,
    responses={400: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
async def confirm(body: TokenIn, request: Request, conn: Conn) -> dict[str, Any]:
    """Following the link twice is harmless: the second time finds it confirmed."""
    row = await _subscriber(conn, request, tokens.CONFIRM, body.token)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this subscription no longer exists")
    if row.confirmed_at is None:
        await conn.execute(
            update(ss)
            .where(ss.c.id == row.id, ss.c.confirmed_at.is_(None))
            .values(confirmed_at=func.now())
        )
        await conn.commit()
        return {"detail": "subscription confirmed", "page": row.slug}
    return {"detail": "subscription already confirmed", "page": row.slug}


@router.post(
    "/subscriptions/unsubscribe",
    response_model=SubscriptionOut,
    responses={400: {"model": ErrorOut}},
)
async def unsubscribe(body: TokenIn, request: Request, conn: Conn) -> dict[str, Any]:
    """One click, no log-in; a second click finds nothing to remove and says so calmly."""
    row = await _subscriber(conn, request, tokens.UNSUBSCRIBE, body.token)
    if row is None:
        return {"detail": "not subscribed"}
    await conn.execute(delete(ss).where(ss.c.id == row.id))
    await conn.commit()
    return {"detail": "unsubscribed", "page": row.slug}
