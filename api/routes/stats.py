"""Read models of a monitor or a test: stats, response-time series, the 90 daily bars.

Every id is first found in the caller's account (a 404 otherwise, the same as for an id
that does not exist); the queries that follow take ids already scoped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import select

from api import queries, read_models
from api.deps import AccountId, Conn
from api.owned import not_found, row_of
from api.read_schemas import BarsOut, Range, SeriesPageOut, StatsOut
from api.routes import PREFIX
from api.routes.monitors import NOT_FOUND, MonitorId
from api.schemas import MAX_ID, ErrorOut, Responses
from shared.tables import monitors, tests

router = APIRouter(prefix=PREFIX, tags=["stats"])

TestId = Annotated[int, Path(ge=1, le=MAX_ID)]
TEST_404: Responses = {404: {"model": ErrorOut, "description": "no such test of this account"}}


def utc_now() -> datetime:
    """The read models' clock: "today" of the bars and windows (a test holds it on the day of
    the history it seeded, as midnight may pass while it reads)."""
    return datetime.now(UTC)


async def _monitor_tests(conn: Conn, account_id: int, monitor_id: int) -> list[int]:
    await row_of(conn, monitors, account_id, monitor_id, "monitor", (monitors.c.id,))
    query = (
        select(tests.c.id)
        .where(tests.c.monitor_id == monitor_id, tests.c.account_id == account_id)
        .order_by(tests.c.id)
    )
    return list((await conn.execute(query)).scalars())


async def _own_test(conn: Conn, account_id: int, test_id: int) -> None:
    query = select(tests.c.id).where(tests.c.id == test_id, tests.c.account_id == account_id)
    if await conn.scalar(query) is None:
        raise not_found("test")


@router.get("/monitors/{monitor_id}/stats", response_model=StatsOut, responses=NOT_FOUND)
async def monitor_stats(monitor_id: MonitorId, account_id: AccountId, conn: Conn) -> StatsOut:
    """Checks, failures and uptime over 24 h, 7, 30 and 90 days; latency percentiles."""
    test_ids = await _monitor_tests(conn, account_id, monitor_id)
    now = utc_now()
    last_day = await queries.monitor_counts_24h(conn, monitor_id, now)
    return await read_models.stats(conn, test_ids, last_day, now)


@router.get("/tests/{test_id}/stats", response_model=StatsOut, responses=TEST_404)
async def stats_of_test(test_id: TestId, account_id: AccountId, conn: Conn) -> StatsOut:
    await _own_test(conn, account_id, test_id)
    now = utc_now()
    last_day = await queries.counts_24h(conn, test_id, now)
    return await read_models.stats(conn, [test_id], last_day, now)


@router.get("/tests/{test_id}/series", response_model=SeriesPageOut, responses=TEST_404)
async def series_of_test(
    test_id: TestId,
    account_id: AccountId,
    conn: Conn,
    range_: Annotated[Range, Query(alias="range")] = "24h",
) -> SeriesPageOut:
    """Response-time percentiles per bucket: 15 minutes over 24 h, 2 hours over 7 days
    (overall and per region), a day over 30 and 90 days."""
    await _own_test(conn, account_id, test_id)
    return await read_models.series(conn, test_id, range_, utc_now())


@router.get("/monitors/{monitor_id}/bars", response_model=BarsOut, responses=NOT_FOUND)
async def monitor_bars(monitor_id: MonitorId, account_id: AccountId, conn: Conn) -> BarsOut:
    """The 90 daily bars, oldest first: uptime, the worst incident, the incidents' ids."""
    test_ids = await _monitor_tests(conn, account_id, monitor_id)
    days = await read_models.monitor_bars(conn, monitor_id, test_ids, utc_now())
    return BarsOut(monitor_id=monitor_id, days=days)
