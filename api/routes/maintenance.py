"""Maintenance windows: planned downtime of a monitor, or of every monitor on a page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import ValidationError
from sqlalchemy import delete, func, insert, select, update

from api import owned, paging
from api.deps import AccountId, Conn, EditorAccountId
from api.resource_schemas import MaintenanceIn, MaintenanceOut, MaintenancePatch
from api.routes import PREFIX
from api.schemas import MAX_ID, ErrorOut, Page, Responses
from api.validation import relocated
from shared.tables import maintenance_windows, monitors, status_pages

router = APIRouter(prefix=f"{PREFIX}/maintenance-windows", tags=["maintenance windows"])

WindowId = Annotated[int, Path(ge=1, le=MAX_ID)]
FilterId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
WINDOW_404: Responses = {404: {"model": ErrorOut, "description": "no such window of this account"}}
mw = maintenance_windows
_WINDOW = tuple(c for c in mw.c if c.name != "account_id")


@router.get("", response_model=Page[MaintenanceOut])
async def list_windows(
    account_id: AccountId,
    conn: Conn,
    limit: paging.Limit = 50,
    cursor: paging.Cursor = None,
    monitor_id: FilterId = None,
    status_page_id: FilterId = None,
    active: Annotated[bool | None, Query(description="true: now on; false: not now")] = None,
) -> Page[MaintenanceOut]:
    query = select(*_WINDOW).where(mw.c.account_id == account_id)
    if monitor_id is not None:
        query = query.where(mw.c.monitor_id == monitor_id)
    if status_page_id is not None:
        query = query.where(mw.c.status_page_id == status_page_id)
    if active is not None:
        now = (mw.c.starts_at <= func.now()) & (mw.c.ends_at > func.now())
        query = query.where(now if active else ~now)
    rows, following = await paging.id_page(conn, query, mw.c.id, limit, cursor)
    return Page[MaintenanceOut](items=[MaintenanceOut(**r._mapping) for r in rows], next=following)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=MaintenanceOut,
    responses={404: {"model": ErrorOut, "description": "no such monitor or page"}},
)
async def create_window(
    body: MaintenanceIn, account_id: EditorAccountId, conn: Conn
) -> MaintenanceOut:
    if body.monitor_id is not None:
        await owned.row_of(conn, monitors, account_id, body.monitor_id, "monitor", (monitors.c.id,))
    if body.status_page_id is not None:
        await owned.row_of(
            conn, status_pages, account_id, body.status_page_id, "status page", (status_pages.c.id,)
        )
    row = (
        await conn.execute(
            insert(mw).values(account_id=account_id, **body.model_dump()).returning(*_WINDOW)
        )
    ).one()
    await conn.commit()
    return MaintenanceOut(**row._mapping)


@router.get("/{window_id}", response_model=MaintenanceOut, responses=WINDOW_404)
async def get_window(window_id: WindowId, account_id: AccountId, conn: Conn) -> MaintenanceOut:
    row = await owned.row_of(conn, mw, account_id, window_id, "maintenance window", _WINDOW)
    return MaintenanceOut(**row._mapping)


@router.patch("/{window_id}", response_model=MaintenanceOut, responses=WINDOW_404)
async def change_window(
    window_id: WindowId, body: MaintenancePatch, account_id: EditorAccountId, conn: Conn
) -> MaintenanceOut:
    row = await owned.row_of(conn, mw, account_id, window_id, "maintenance window", _WINDOW)
    changes: dict[str, Any] = {
        k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None
    }
    try:  # the window as it will be must still end after it starts
        MaintenancePatch.model_validate(
            {"starts_at": row.starts_at, "ends_at": row.ends_at, **changes}
        )
    except ValidationError as exc:
        raise relocated(exc, ("body",)) from None
    row = (
        await conn.execute(
            update(mw)
            .where(mw.c.id == window_id)
            .values(**changes, updated_at=func.now())
            .returning(*_WINDOW)
        )
    ).one()
    await conn.commit()
    return MaintenanceOut(**row._mapping)


@router.delete("/{window_id}", status_code=status.HTTP_204_NO_CONTENT, responses=WINDOW_404)
async def delete_window(window_id: WindowId, account_id: EditorAccountId, conn: Conn) -> Response:
    gone = await conn.execute(delete(mw).where(mw.c.id == window_id, mw.c.account_id == account_id))
    if gone.rowcount == 0:
        raise owned.not_found("maintenance window")
    await conn.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
