"""Monitors, always those of the caller's account."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from fastapi import status as status_code
from pydantic import AfterValidator
from sqlalchemy import delete, func, update

from api import heartbeats, monitor_list, paging, quotas, store
from api.cells import directory
from api.deps import AccountId, Conn, EditorAccountId, SettingsDep
from api.resource_schemas import MonitorPatch
from api.routes import PREFIX
from api.schemas import (
    MAX_ID,
    REGION_PATTERN,
    TEST_KINDS,
    ErrorOut,
    MonitorIn,
    MonitorListOut,
    MonitorOut,
    Responses,
    printable,
)
from api.validation import check_tests
from shared.tables import monitors

router = APIRouter(prefix=f"{PREFIX}/monitors", tags=["monitors"])

MonitorId = Annotated[int, Path(ge=1, le=MAX_ID)]
NOT_FOUND: Responses = {404: {"model": ErrorOut, "description": "no such monitor of this account"}}
QUOTA: Responses = {409: {"model": ErrorOut, "description": "over the account's quota of tests"}}


def monitor_not_found() -> HTTPException:
    # Also for a monitor of another account: a 403 would confirm that it exists.
    return HTTPException(status_code.HTTP_404_NOT_FOUND, "monitor not found")


TagQuery = Annotated[
    str | None,
    Query(max_length=50, description="monitors with this tag"),
    AfterValidator(lambda v: v if v is None else printable(v)),
]
RegionQuery = Annotated[
    str | None, Query(pattern=REGION_PATTERN, description="monitors with a test in this region")
]
NOT_MODIFIED: Responses = {304: {"description": "unchanged since the ETag given in If-None-Match"}}


@router.get("", response_model=MonitorListOut, responses=NOT_MODIFIED)
async def list_monitors(  # noqa: PLR0913 -- one argument a query parameter
    request: Request,
    account_id: AccountId,
    conn: Conn,
    settings: SettingsDep,
    limit: paging.Limit = 50,
    cursor: paging.PackedCursor = None,
    name: paging.Search = None,
    q: Annotated[paging.Search, Query(description="part of the name or of a test's URL")] = None,
    # The list ranks a misconfigured test's monitor as degraded (its stored state), so the
    # filter offers the four ranks.
    status: Annotated[monitor_list.RankStatus | None, Query()] = None,
    kind: Annotated[Literal[TEST_KINDS] | None, Query()] = None,  # type: ignore[valid-type]
    tag: TagQuery = None,
    region: RegionQuery = None,
    sort: Annotated[monitor_list.Sort, Query(description="status sorts down first")] = "oldest",
) -> Response | MonitorListOut:
    """The caller's monitors, a page at a time, with counts by status over the same filters
    (but the status one). The ETag changes whenever anything shown changes: a client that
    sends it back in If-None-Match gets a 304 for the cost of a few index reads."""
    f = monitor_list.Filters(q=q, name=name, status=status, kind=kind, tag=tag, region=region)
    marks = await monitor_list.fingerprint(conn, account_id)
    tag_now = monitor_list.etag(account_id, marks, f, sort, cursor, limit)
    headers = {"ETag": tag_now, "Cache-Control": "private, no-cache"}
    if request.headers.get("if-none-match") == tag_now:
        return Response(status_code=status_code.HTTP_304_NOT_MODIFIED, headers=headers)
    rows, following, counts = await monitor_list.page(conn, account_id, f, sort, cursor, limit)
    items = await store.monitors_out(conn, account_id, rows, settings.ping_url)
    body = MonitorListOut(items=items, next=following, counts=counts)
    return Response(body.model_dump_json(), media_type="application/json", headers=headers)


@router.post("/validate", status_code=status_code.HTTP_204_NO_CONTENT)
async def validate_monitor(
    body: MonitorIn, account_id: EditorAccountId, conn: Conn, settings: SettingsDep
) -> Response:
    """The checks of a create (the body, its tests under the cell's and the account's rules),
    nothing stored: `vigil apply` asks before it changes anything. The quota is the create's
    own (it counts what is already there)."""
    limit = await quotas.quota(conn, account_id, settings)
    check_tests(body.tests, settings, ("body", "tests"), limit.min_interval_s)
    return Response(status_code=status_code.HTTP_204_NO_CONTENT)


@router.post(
    "", status_code=status_code.HTTP_201_CREATED, response_model=MonitorOut, responses=QUOTA
)
async def create_monitor(
    body: MonitorIn,
    account_id: EditorAccountId,
    conn: Conn,
    settings: SettingsDep,
    request: Request,
) -> MonitorOut:
    limit = await quotas.quota(conn, account_id, settings, lock=True)
    check_tests(body.tests, settings, ("body", "tests"), limit.min_interval_s)
    await quotas.check_room(conn, account_id, limit, len(body.tests))
    row = await store.insert_monitor(conn, account_id, body.name, body.tags)
    ids = await store.insert_tests(conn, account_id, row.id, body.tests, settings.region)
    await heartbeats.start(conn, directory(request), account_id, ids, body.tests)
    await conn.commit()
    [monitor] = await store.monitors_out(conn, account_id, [row], settings.ping_url)
    return monitor


@router.get("/{monitor_id}", response_model=MonitorOut, responses=NOT_FOUND)
async def get_monitor(
    monitor_id: MonitorId, account_id: AccountId, conn: Conn, settings: SettingsDep
) -> MonitorOut:
    row = await store.find_monitor(conn, account_id, monitor_id)
    if row is None:
        raise monitor_not_found()
    [monitor] = await store.monitors_out(conn, account_id, [row], settings.ping_url)
    return monitor


@router.patch("/{monitor_id}", response_model=MonitorOut, responses=NOT_FOUND)
async def change_monitor(
    monitor_id: MonitorId,
    body: MonitorPatch,
    account_id: EditorAccountId,
    conn: Conn,
    settings: SettingsDep,
) -> MonitorOut:
    query = (
        update(monitors)
        .where(monitors.c.id == monitor_id, monitors.c.account_id == account_id)
        .values(**body.model_dump(exclude_none=True), updated_at=func.now())
        .returning(*store.MONITOR)
    )
    row = (await conn.execute(query)).first()
    if row is None:
        raise monitor_not_found()
    await conn.commit()
    [monitor] = await store.monitors_out(conn, account_id, [row], settings.ping_url)
    return monitor


@router.delete("/{monitor_id}", status_code=status_code.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_monitor(
    monitor_id: MonitorId, account_id: EditorAccountId, conn: Conn, request: Request
) -> Response:
    """The monitor and its tests go (the scheduler stops them); their results stay."""
    tokens = await heartbeats.tokens_of(conn, account_id, monitor_id=monitor_id)
    gone = await conn.execute(
        delete(monitors).where(monitors.c.id == monitor_id, monitors.c.account_id == account_id)
    )
    if gone.rowcount == 0:
        raise monitor_not_found()
    await conn.commit()
    await heartbeats.forget(directory(request), tokens)
    return Response(status_code=status_code.HTTP_204_NO_CONTENT)
