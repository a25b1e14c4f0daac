"""Manual incidents: what the owner tells a status page's readers that Vigil did not detect.

An incident names the page's monitors it touches, each with its impact, and moves through
investigating -> identified -> monitoring -> resolved by updates, each a status and a message.
Resolved is the end: no update follows it. Only monitors the page shows may be named, so a
page never speaks of another page's monitors.

The opening, each update and the resolution are news for the page's subscribers: each
writes a `PageEvent` to the outbox in the transaction that stores it (the processor
publishes it, the notifier tells the subscribers), so what is stored is told, once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, Field
from sqlalchemy import func, insert, select, update

from api import owned
from api.deps import AccountId, Conn, EditorAccountId, SettingsDep
from api.resource_schemas import Id
from api.routes import PREFIX
from api.schemas import MAX_ID, ErrorOut, Input, Name, Page, Responses
from shared import names
from shared.codec import encode_page_event
from shared.messages import PageEvent
from shared.tables import (
    event_outbox,
    manual_incident_monitors,
    manual_incident_updates,
    manual_incidents,
    status_page_monitors,
    status_pages,
)

router = APIRouter(prefix=f"{PREFIX}/status-pages", tags=["status pages"])
mi, mim, miu = manual_incidents, manual_incident_monitors, manual_incident_updates
PageId = Annotated[int, Path(ge=1, le=MAX_ID)]
ManualId = Annotated[int, Path(ge=1, le=MAX_ID)]
NOT_FOUND: Responses = {404: {"model": ErrorOut, "description": "no such status page or incident"}}
Status = Literal["investigating", "identified", "monitoring", "resolved"]
Impact = Literal["degraded", "partial_outage", "major_outage"]
# Line breaks are kept (the page shows them); other control characters are refused.
Message = Annotated[
    str, Field(min_length=1, max_length=2000, pattern=r"^[^\x00-\x09\x0b-\x1f\x7f]+$")
]


class AffectedIn(Input):
    monitor_id: Id
    impact: Impact


class ManualIncidentIn(Input):
    title: Name
    message: Message
    status: Literal["investigating", "identified", "monitoring"] = "investigating"
    affected: Annotated[list[AffectedIn], Field(min_length=1, max_length=100)]


class ManualUpdateIn(Input):
    status: Status
    message: Message


class AffectedOut(BaseModel):
    monitor_id: int
    impact: Impact


class ManualUpdateOut(BaseModel):
    id: int
    status: Status
    message: str
    created_at: datetime


class ManualIncidentOut(BaseModel):
    id: int
    title: str
    status: Status
    started_at: datetime
    resolved_at: datetime | None
    affected: list[AffectedOut]
    updates: list[ManualUpdateOut]


def _unprocessable(loc: tuple[Any, ...], msg: str) -> HTTPException:
    return HTTPException(422, [{"loc": ["body", *loc], "msg": msg, "type": "value_error"}])


async def _page(conn: Conn, account_id: int, page_id: int) -> None:
    await owned.row_of(conn, status_pages, account_id, page_id, "status page", (status_pages.c.id,))


async def _check_affected(conn: Conn, page_id: int, affected: list[AffectedIn]) -> None:
    """Each named monitor is shown by the page, and named once."""
    shown = set(
        (
            await conn.execute(
                select(status_page_monitors.c.monitor_id).where(
                    status_page_monitors.c.page_id == page_id
                )
            )
        ).scalars()
    )
    seen: set[int] = set()
    for i, item in enumerate(affected):
        if item.monitor_id not in shown:
            raise _unprocessable(("affected", i, "monitor_id"), "the page does not show it")
        if item.monitor_id in seen:
            raise _unprocessable(("affected", i, "monitor_id"), "named twice")
        seen.add(item.monitor_id)


async def _out(conn: Conn, row: Any) -> dict[str, Any]:
    affected = (
        await conn.execute(
            select(mim.c.monitor_id, mim.c.impact)
            .where(mim.c.incident_id == row.id)
            .order_by(mim.c.monitor_id)
        )
    ).all()
    updates = (
        await conn.execute(
            select(miu.c.id, miu.c.status, miu.c.message, miu.c.created_at)
            .where(miu.c.incident_id == row.id)
            .order_by(miu.c.id)
        )
    ).all()
    return {
        **row._asdict(),
        "affected": [a._asdict() for a in affected],
        "updates": [u._asdict() for u in updates],
    }


_ROW = (mi.c.id, mi.c.title, mi.c.status, mi.c.started_at, mi.c.resolved_at)


async def _tell(conn: Conn, cell: str, kind: str, incident_id: int, update_id: int) -> None:
    """The subscribers' news, in the caller's transaction (see the module's docstring)."""
    event = PageEvent(kind=kind, cell=cell, ref_id=incident_id, update_id=update_id)
    await conn.execute(
        insert(event_outbox).values(
            routing_key=names.page_key(kind, cell), body=encode_page_event(event)
        )
    )


async def _incident(conn: Conn, page_id: int, incident_id: int) -> Any:
    row = (
        await conn.execute(select(*_ROW).where(mi.c.id == incident_id, mi.c.page_id == page_id))
    ).first()
    if row is None:
        raise owned.not_found("incident")
    return row


@router.post(
    "/{page_id}/manual-incidents",
    status_code=status.HTTP_201_CREATED,
    response_model=ManualIncidentOut,
    responses=NOT_FOUND,
)
async def open_incident(
    page_id: PageId,
    body: ManualIncidentIn,
    account_id: EditorAccountId,
    conn: Conn,
    settings: SettingsDep,
) -> Any:
    await _page(conn, account_id, page_id)
    await _check_affected(conn, page_id, body.affected)
    row = (
        await conn.execute(
            insert(mi)
            .values(page_id=page_id, account_id=account_id, title=body.title, status=body.status)
            .returning(*_ROW)
        )
    ).one()
    await conn.execute(
        insert(mim),
        [
            {"incident_id": row.id, "monitor_id": a.monitor_id, "impact": a.impact}
            for a in body.affected
        ],
    )
    update_id = (
        await conn.execute(
            insert(miu)
            .values(incident_id=row.id, status=body.status, message=body.message)
            .returning(miu.c.id)
        )
    ).scalar_one()
    await _tell(conn, settings.cell, "manual_opened", row.id, update_id)
    out = await _out(conn, row)
    await conn.commit()
    return out


@router.get(
    "/{page_id}/manual-incidents", response_model=Page[ManualIncidentOut], responses=NOT_FOUND
)
async def list_incidents(page_id: PageId, account_id: AccountId, conn: Conn) -> Any:
    """Newest first; at most the last 100."""
    await _page(conn, account_id, page_id)
    rows = (
        await conn.execute(
            select(*_ROW)
            .where(mi.c.page_id == page_id)
            .order_by(mi.c.started_at.desc(), mi.c.id.desc())
            .limit(100)
        )
    ).all()
    return {"items": [await _out(conn, r) for r in rows], "next": None}


@router.get(
    "/{page_id}/manual-incidents/{manual_id}", response_model=ManualIncidentOut, responses=NOT_FOUND
)
async def get_incident(
    page_id: PageId, manual_id: ManualId, account_id: AccountId, conn: Conn
) -> Any:
    await _page(conn, account_id, page_id)
    return await _out(conn, await _incident(conn, page_id, manual_id))


@router.post(
    "/{page_id}/manual-incidents/{manual_id}/updates",
    status_code=status.HTTP_201_CREATED,
    response_model=ManualIncidentOut,
    responses={**NOT_FOUND, 409: {"model": ErrorOut, "description": "the incident is resolved"}},
)
async def post_update(
    page_id: PageId,
    manual_id: ManualId,
    body: ManualUpdateIn,
    account_id: EditorAccountId,
    conn: Conn,
    settings: SettingsDep,
) -> Any:
    await _page(conn, account_id, page_id)
    # Conditional on still being open: two owners resolving at once resolve it once.
    row = (
        await conn.execute(
            update(mi)
            .where(mi.c.id == manual_id, mi.c.page_id == page_id, mi.c.resolved_at.is_(None))
            .values(
                status=body.status,
                updated_at=func.now(),
                resolved_at=func.now() if body.status == "resolved" else None,
            )
            .returning(*_ROW)
        )
    ).first()
    if row is None:
        await _incident(conn, page_id, manual_id)  # 404 when there is no such incident
        raise HTTPException(status.HTTP_409_CONFLICT, "the incident is resolved")
    update_id = (
        await conn.execute(
            insert(miu)
            .values(incident_id=manual_id, status=body.status, message=body.message)
            .returning(miu.c.id)
        )
    ).scalar_one()
    kind = "manual_resolved" if body.status == "resolved" else "manual_updated"
    await _tell(conn, settings.cell, kind, manual_id, update_id)
    out = await _out(conn, row)
    await conn.commit()
    return out
