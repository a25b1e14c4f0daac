"""Monitors and their tests, always those of the caller's account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status

from api import cursors, store
from api.deps import AccountId, Conn, EditorAccountId, SettingsDep
from api.routes import PREFIX
from api.schemas import MAX_ID, MAX_TESTS, ErrorOut, MonitorIn, MonitorOut, Page, TestIn, TestOut
from api.validation import check_test, check_tests

router = APIRouter(prefix=f"{PREFIX}/monitors", tags=["monitors"])

MonitorId = Annotated[int, Path(ge=1, le=MAX_ID)]
NOT_FOUND = {404: {"model": ErrorOut, "description": "no such monitor of this account"}}


def monitor_not_found() -> HTTPException:
    # Also for a monitor of another account: a 403 would confirm that it exists.
    return HTTPException(status.HTTP_404_NOT_FOUND, "monitor not found")


@router.get("", response_model=Page[MonitorOut])
async def list_monitors(
    account_id: AccountId,
    conn: Conn,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[MonitorOut]:
    after_id = cursors.decode_id(cursor) if cursor else None
    rows = await store.monitor_page(conn, account_id, after_id, limit + 1)
    page = rows[:limit]
    items = await store.monitors_out(conn, account_id, page)
    following = cursors.encode_id(page[-1].id) if len(rows) > limit else None
    return Page[MonitorOut](items=items, next=following)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MonitorOut)
async def create_monitor(
    body: MonitorIn, account_id: EditorAccountId, conn: Conn, settings: SettingsDep
) -> MonitorOut:
    check_tests(body.tests, settings, ("body", "tests"))
    row = await store.insert_monitor(conn, account_id, body.name)
    await store.insert_tests(conn, account_id, row.id, body.tests, settings.region)
    await conn.commit()
    [monitor] = await store.monitors_out(conn, account_id, [row])
    return monitor


@router.get("/{monitor_id}", response_model=MonitorOut, responses=NOT_FOUND)
async def get_monitor(monitor_id: MonitorId, account_id: AccountId, conn: Conn) -> MonitorOut:
    row = await store.find_monitor(conn, account_id, monitor_id)
    if row is None:
        raise monitor_not_found()
    [monitor] = await store.monitors_out(conn, account_id, [row])
    return monitor


@router.get("/{monitor_id}/tests", response_model=Page[TestOut], responses=NOT_FOUND)
async def list_tests(monitor_id: MonitorId, account_id: AccountId, conn: Conn) -> Page[TestOut]:
    if await store.find_monitor(conn, account_id, monitor_id) is None:
        raise monitor_not_found()
    by_monitor = await store.tests_of(conn, account_id, [monitor_id])
    # A monitor has at most MAX_TESTS tests: one page, always.
    return Page[TestOut](items=by_monitor[monitor_id], next=None)


@router.post(
    "/{monitor_id}/tests",
    status_code=status.HTTP_201_CREATED,
    response_model=TestOut,
    responses={**NOT_FOUND, 409: {"model": ErrorOut, "description": "monitor is full"}},
)
async def add_test(
    monitor_id: MonitorId,
    body: TestIn,
    account_id: EditorAccountId,
    conn: Conn,
    settings: SettingsDep,
) -> TestOut:
    check_test(body, settings, ("body",))
    # Locked until commit, so two concurrent additions cannot both pass the count.
    if await store.find_monitor(conn, account_id, monitor_id, lock=True) is None:
        raise monitor_not_found()
    if await store.count_tests(conn, account_id, monitor_id) >= MAX_TESTS:
        raise HTTPException(status.HTTP_409_CONFLICT, f"a monitor has at most {MAX_TESTS} tests")
    [test_id] = await store.insert_tests(conn, account_id, monitor_id, [body], settings.region)
    await conn.commit()
    test = await store.find_test(conn, account_id, test_id)
    assert test is not None  # committed just above, in this account
    return test
