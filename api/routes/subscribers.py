"""The subscribers of a status page, as its owner sees them: list, export (CSV), remove,
and add a webhook subscriber (signed like a webhook channel; its secret sealed, never
answered). Email subscribers sign up themselves, on the page (`public_subscriptions`)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from pydantic import Field
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from api import owned, paging
from api.channels import WebhookConfig
from api.deps import AccountId, Conn, EditorAccountId
from api.routes import PREFIX
from api.schemas import MAX_ID, ErrorOut, Responses
from api.subscriptions import MAX_SCOPE, OWNER_COLUMNS, check_scope, owner_view
from shared.tables import status_pages, status_subscribers

router = APIRouter(prefix=f"{PREFIX}/status-pages", tags=["status pages"])
ss = status_subscribers
PageId = Annotated[int, Path(ge=1, le=MAX_ID)]
SubscriberId = Annotated[int, Path(ge=1, le=MAX_ID)]
PAGE_404: Responses = {404: {"model": ErrorOut, "description": "no such status page or subscriber"}}
CSV_FIELDS = (
    "id",
    "kind",
    "address",
    "confirmed",
    "created_at",
    "confirmed_at",
    "monitor_ids",
    "groups",
    "language",
)


class WebhookSubscriberIn(WebhookConfig):
    monitor_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        default=None, min_length=1, max_length=MAX_SCOPE
    )
    groups: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, min_length=1, max_length=MAX_SCOPE
    )


async def _page(conn: Conn, account_id: int, page_id: int) -> Any:
    return await owned.row_of(
        conn,
        status_pages,
        account_id,
        page_id,
        "status page",
        (status_pages.c.id, status_pages.c.language),
    )


@router.get("/{page_id}/subscribers", responses=PAGE_404)
async def list_subscribers(
    page_id: PageId,
    account_id: AccountId,
    conn: Conn,
    limit: paging.Limit = 50,
    cursor: paging.Cursor = None,
    q: paging.Search = None,
) -> dict[str, Any]:
    await _page(conn, account_id, page_id)
    query = select(*OWNER_COLUMNS).where(ss.c.page_id == page_id)
    if q:
        query = query.where(paging.contains(ss.c.address, q))
    rows, following = await paging.id_page(conn, query, ss.c.id, limit, cursor)
    return {"items": [owner_view(r) for r in rows], "next": following}


@router.get("/{page_id}/subscribers.csv", responses=PAGE_404, response_class=Response)
async def export_subscribers(page_id: PageId, account_id: AccountId, conn: Conn) -> Response:
    """Every subscriber of the page, one CSV row each, for the owner's own records."""
    await _page(conn, account_id, page_id)
    rows = (
        await conn.execute(select(*OWNER_COLUMNS).where(ss.c.page_id == page_id).order_by(ss.c.id))
    ).all()
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        view = owner_view(row)
        view["address"] = _no_formula(view["address"])
        view["monitor_ids"] = " ".join(map(str, view["monitor_ids"] or []))
        view["groups"] = " | ".join(_no_formula(g) for g in view["groups"] or [])
        writer.writerow(view)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="subscribers-{page_id}.csv"'},
    )


def _no_formula(text: str) -> str:
    """A cell a spreadsheet would run as a formula is quoted (OWASP's CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.post(
    "/{page_id}/subscribers",
    status_code=status.HTTP_201_CREATED,
    responses={**PAGE_404, 409: {"model": ErrorOut}},
)
async def add_webhook(
    page_id: PageId,
    body: WebhookSubscriberIn,
    account_id: EditorAccountId,
    conn: Conn,
    request: Request,
) -> dict[str, Any]:
    page = await _page(conn, account_id, page_id)
    await check_scope(conn, page_id, body.monitor_ids, body.groups)
    query = (
        insert(ss)
        .values(
            page_id=page_id,
            account_id=account_id,
            kind="webhook",
            address=str(body.url),
            secrets=request.app.state.secret_box.seal({"secret": body.secret}),
            monitor_ids=body.monitor_ids,
            groups=body.groups,
            language=page.language,
            confirmed_at=func.now(),
        )
        .on_conflict_do_nothing()
        .returning(*OWNER_COLUMNS)
    )
    row = (await conn.execute(query)).first()
    if row is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "url: this webhook already subscribes")
    await conn.commit()
    return owner_view(row)


@router.delete(
    "/{page_id}/subscribers/{subscriber_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=PAGE_404,
)
async def remove_subscriber(
    page_id: PageId, subscriber_id: SubscriberId, account_id: EditorAccountId, conn: Conn
) -> Response:
    await _page(conn, account_id, page_id)
    gone = await conn.execute(
        delete(ss).where(
            ss.c.id == subscriber_id, ss.c.page_id == page_id, ss.c.account_id == account_id
        )
    )
    if gone.rowcount == 0:
        raise owned.not_found("subscriber")
    await conn.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
