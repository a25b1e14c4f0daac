"""Monitors, always those of the caller's account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from sqlalchemy import delete, func, update

from api import cursors, heartbeats, paging, quotas, store
from api.cells import directory
from api.deps import AccountId, Conn, EditorAccountId, SettingsDep
from api.resource_schemas import MonitorPatch
from api.routes import PREFIX
from api.schemas import MAX_ID, ErrorOut, MonitorIn, MonitorOut, Page
from api.validation import check_tests
from shared.tables import monitors

router = APIRouter(prefix=f"{PREFIX}/monitors", tags=["monitors"])

MonitorId = Annotated[int, Path(ge=1, le=MAX_ID)]
NOT_FOUND = {404: {"model": ErrorOut, "description": "no such monitor of this account"}}
QUOTA = {409: {"model": ErrorOut, "description": "over the account's quota of tests"}}


def monitor_not_found() -> HTTPException:
    # Also for a monitor of another account: a 403 would confirm that it exists.
    return HTTPException(status.HTTP_404_NOT_FOUND, "monitor not found")


@router.get("", response_model=Page[MonitorOut])
async def list_monitors(
    account_id: AccountId,
    conn: Conn,
    settings: SettingsDep,
    limit: paging.Limit = 50,
    cursor: paging.Cursor = None,
    name: paging.Search = None,
) -> Page[MonitorOut]:
    after_id = cursors.decode_id(cursor) if cursor else None
    rows = await store.monitor_page(conn, account_id, after_id, limit + 1, name)
    page = rows[:limit]
    items = await store.monitors_out(conn, account_id, page, settings.ping_url)
    following = cursors.encode_id(page[-1].id) if len(rows) > limit else None
    return Page[MonitorOut](items=items, next=following)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MonitorOut,
             responses=QUOTA)
async def create_monitor(
    body: MonitorIn, account_id: EditorAccountId, conn: Conn, settings: SettingsDep,
    request: Request,
) -> MonitorOut:
    limit = await quotas.quota(conn, account_id, settings, lock=True)
    check_tests(body.tests, settings, ("body", "tests"), limit.min_interval_s)
    await quotas.check_room(conn, account_id, limit, len(body.tests))
    row = await store.insert_monitor(conn, account_id, body.name)
    ids = await store.insert_tests(conn, account_id, row.id, body.tests, settings.region)
    await heartbeats.start(conn, directory(request), account_id, ids, body.tests)
    await conn.commit()
    [monitor] = await store.monitors_out(conn, account_id, [row], settings.ping_url)
    return monitor


@router.get("/{monitor_id}", response_model=MonitorOut, responses=NOT_FOUND)
async def get_monitor(monitor_id: MonitorId, account_id: AccountId, conn: Conn,
                      settings: SettingsDep) -> MonitorOut:
    row = await store.find_monitor(conn, account_id, monitor_id)
    if row is None:
        raise monitor_not_found()
    [monitor] = await store.monitors_out(conn, account_id, [row], settings.ping_url)
    return monitor


@router.patch("/{monitor_id}", response_model=MonitorOut, responses=NOT_FOUND)
async def rename_monitor(
    monitor_id: MonitorId, body: MonitorPatch, account_id: EditorAccountId, conn: Conn,
    settings: SettingsDep,
) -> MonitorOut:
    query = (
        update(monitors)
        .where(monitors.c.id == monitor_id, monitors.c.account_id == account_id)
        .values(name=body.name, updated_at=func.now())
        .returning(*store.MONITOR)
    )
    row = (await conn.execute(query)).first()
    if row is None:
        raise monitor_not_found()
    await conn.commit()
    [monitor] = await store.monitors_out(conn, account_id, [row], settings.ping_url)
    return monitor


@router.delete("/{monitor_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_monitor(monitor_id: MonitorId, account_id: EditorAccountId, conn: Conn,
                         request: Request) -> Response:
    """The monitor and its tests go (the scheduler stops them); their results stay."""
    tokens = await heartbeats.tokens_of(conn, account_id, monitor_id=monitor_id)
    gone = await conn.execute(delete(monitors).where(
        monitors.c.id == monitor_id, monitors.c.account_id == account_id))
    if gone.rowcount == 0:
        raise monitor_not_found()
    await conn.commit()
    await heartbeats.forget(directory(request), tokens)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
