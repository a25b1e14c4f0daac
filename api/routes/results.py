"""A test's recent results, newest first, from the week table; a heartbeat test's last pings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status
from sqlalchemy import Select, and_, or_, select, tuple_

from api import cursors
from api.deps import AccountId, Conn
from api.result_extras import COLUMNS, merged, shaped
from api.routes import PREFIX
from api.schemas import MAX_ID, ErrorOut, Page, PingOut, ResultOut
from api.status import state_label
from shared.tables import PING_LOG_SIZE, heartbeat_pings, results_week, tests

router = APIRouter(prefix=PREFIX, tags=["results"])

_RESULT = (
    results_week.c.checked_at,
    results_week.c.status,
    results_week.c.latency_ms,
    results_week.c.http_status,
    results_week.c.error_kind,
    results_week.c.error,
    results_week.c.region,
    results_week.c.node,
    *(results_week.c[name] for name in COLUMNS),
    results_week.c.extras,
)


def _page_query(test_id: int, after: tuple[datetime, str, str] | None, limit: int) -> Select:
    # Newest first; region and node break ties in checked_at, so a page boundary between
    # two results of the same instant loses neither. The (test_id, checked_at desc) index
    # serves the order and the range.
    r = results_week.c
    query = (
        select(*_RESULT)
        .where(r.test_id == test_id)
        .order_by(r.checked_at.desc(), r.region, r.node)
        .limit(limit)
    )
    if after is not None:
        at, region, node = after
        query = query.where(
            or_(
                r.checked_at < at,
                and_(r.checked_at == at, tuple_(r.region, r.node) > tuple_(region, node)),
            )
        )
    return query


async def _owned(conn: Conn, account_id: int, test_id: int) -> None:
    """A 404 unless the test is the caller's account's."""
    owner = select(tests.c.id).where(tests.c.id == test_id, tests.c.account_id == account_id)
    if await conn.scalar(owner) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "test not found")


@router.get(
    "/tests/{test_id}/results",
    response_model=Page[ResultOut],
    responses={404: {"model": ErrorOut, "description": "no such test of this account"}},
)
async def list_results(
    test_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    account_id: AccountId,
    conn: Conn,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200, pattern=cursors.RESULT_PATTERN)] = None,
) -> Page[ResultOut]:
    after = cursors.decode_result(cursor) if cursor else None
    await _owned(conn, account_id, test_id)
    rows = (await conn.execute(_page_query(test_id, after, limit + 1))).all()
    page = rows[:limit]
    items = [
        ResultOut(
            checked_at=row.checked_at,
            status=state_label(row.status, row.error_kind),
            latency_ms=row.latency_ms,
            http_status=row.http_status,
            error_kind=row.error_kind,
            error=row.error,
            region=row.region,
            node=row.node,
            **shaped(merged(row)),
        )
        for row in page
    ]
    last = page[-1] if page else None
    following = (
        cursors.encode_result(last.checked_at, last.region, last.node)
        if last is not None and len(rows) > limit
        else None
    )
    return Page[ResultOut](items=items, next=following)


@router.get(
    "/tests/{test_id}/pings",
    response_model=Page[PingOut],
    responses={404: {"model": ErrorOut, "description": "no such test of this account"}},
)
async def list_pings(
    test_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    account_id: AccountId,
    conn: Conn,
    limit: Annotated[int, Query(ge=1, le=PING_LOG_SIZE)] = PING_LOG_SIZE,
) -> Page[PingOut]:
    """A heartbeat test's last pings (the last 100 are kept), newest first; every kind of
    ping, with its body. Other kinds of test have none."""
    await _owned(conn, account_id, test_id)
    p = heartbeat_pings.c
    rows = (
        await conn.execute(
            select(heartbeat_pings).where(p.test_id == test_id).order_by(p.n.desc()).limit(limit)
        )
    ).all()
    return Page[PingOut](
        items=[
            PingOut(**{k: v for k, v in row._mapping.items() if k in PingOut.model_fields})
            for row in rows
        ],
        next=None,
    )
