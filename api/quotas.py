"""Per-account quotas: how many tests, how often. The operator sets them; the cell's
settings (VIGIL_MAX_TESTS, VIGIL_MIN_INTERVAL) are the defaults."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, status
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.config import Settings
from shared.tables import accounts, tests


@dataclass(frozen=True)
class Quota:
    max_tests: int
    min_interval_s: int


async def quota(
    conn: AsyncConnection, account_id: int, settings: Settings, lock: bool = False
) -> Quota:
    """The account's quota; `lock` holds the account until commit, so two concurrent
    additions cannot both pass the count."""
    query = select(accounts.c.max_tests, accounts.c.min_interval_s).where(
        accounts.c.id == account_id
    )
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).one()
    return Quota(
        max_tests=settings.max_tests if row.max_tests is None else row.max_tests,
        min_interval_s=(
            settings.min_interval_s if row.min_interval_s is None else row.min_interval_s
        ),
    )


async def check_room(conn: AsyncConnection, account_id: int, limit: Quota, adding: int) -> None:
    """409 when `adding` more tests would pass the account's quota."""
    count = await conn.scalar(select(func.count()).where(tests.c.account_id == account_id)) or 0
    if count + adding > limit.max_tests:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"quota: this account may have at most {limit.max_tests} tests ({count} now)",
        )
