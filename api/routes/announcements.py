"""Announcements of a status page: a banner its visitors see from its start to its end time
(planned work told in words, a notice that is no incident). The public page shows those
live at its refresh; an ended one simply stops showing, and stays listed for the owner."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import delete, insert, select

from api import owned
from api.deps import AccountId, Conn, EditorAccountId
from api.resource_schemas import When, _Span
from api.routes import PREFIX
from api.schemas import MAX_ID, ErrorOut, Page, Responses
from shared.tables import status_announcements, status_pages

router = APIRouter(prefix=f"{PREFIX}/status-pages", tags=["status pages"])
sa_ = status_announcements
PageId = Annotated[int, Path(ge=1, le=MAX_ID)]
AnnouncementId = Annotated[int, Path(ge=1, le=MAX_ID)]
PAGE_404: Responses = {
    404: {"model": ErrorOut, "description": "no such status page or announcement"}
}
# Line breaks are kept (the page shows them); other control characters are refused.
Message = Annotated[
    str, Field(min_length=1, max_length=1000, pattern=r"^[^\x00-\x09\x0b-\x1f\x7f]+$")
]
_OUT = (sa_.c.id, sa_.c.message, sa_.c.starts_at, sa_.c.ends_at, sa_.c.created_at)


class AnnouncementIn(_Span):
    message: Message
    starts_at: When
    ends_at: When


class AnnouncementOut(BaseModel):
    id: int
    message: str
    starts_at: datetime
    ends_at: datetime
    created_at: datetime


async def _page(conn: Conn, account_id: int, page_id: int) -> None:
    await owned.row_of(conn, status_pages, account_id, page_id, "status page", (status_pages.c.id,))


@router.post(
    "/{page_id}/announcements",
    status_code=status.HTTP_201_CREATED,
    response_model=AnnouncementOut,
    responses=PAGE_404,
)
async def create_announcement(
    page_id: PageId, body: AnnouncementIn, account_id: EditorAccountId, conn: Conn
) -> Any:
    await _page(conn, account_id, page_id)
    row = (
        await conn.execute(
            insert(sa_)
            .values(page_id=page_id, account_id=account_id, **body.model_dump())
            .returning(*_OUT)
        )
    ).one()
    await conn.commit()
    return row._asdict()


@router.get("/{page_id}/announcements", response_model=Page[AnnouncementOut], responses=PAGE_404)
async def list_announcements(page_id: PageId, account_id: AccountId, conn: Conn) -> Any:
    """Newest first; at most the last 100 (older ones matter to nobody)."""
    await _page(conn, account_id, page_id)
    rows = (
        await conn.execute(
            select(*_OUT)
            .where(sa_.c.page_id == page_id)
            .order_by(sa_.c.starts_at.desc(), sa_.c.id.desc())
            .limit(100)
        )
    ).all()
    return {"items": [r._asdict() for r in rows], "next": None}


@router.delete(
    "/{page_id}/announcements/{announcement_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=PAGE_404,
)
async def delete_announcement(
    page_id: PageId, announcement_id: AnnouncementId, account_id: EditorAccountId, conn: Conn
) -> Response:
    await _page(conn, account_id, page_id)
    gone = await conn.execute(
        delete(sa_).where(sa_.c.id == announcement_id, sa_.c.page_id == page_id)
    )
    if gone.rowcount == 0:
        raise owned.not_found("announcement")
    await conn.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
