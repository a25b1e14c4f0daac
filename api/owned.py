"""Look-ups shared by routes: a row of the caller's account, or a 404 that says no more.

A row of another account is "not found" exactly like a row that does not exist, so a
caller cannot even learn that it exists.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, status
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import AnyRow
from shared.tables import monitors


def not_found(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")


async def row_of(
    conn: AsyncConnection,
    table: Table,
    account_id: int,
    row_id: int,
    what: str,
    columns: tuple[Any, ...] = (),
) -> AnyRow:
    query = select(*(columns or table.c)).where(
        table.c.id == row_id, table.c.account_id == account_id
    )
    row = (await conn.execute(query)).first()
    if row is None:
        raise not_found(what)
    return row


async def monitor_name(conn: AsyncConnection, account_id: int, monitor_id: int) -> str:
    row = await row_of(conn, monitors, account_id, monitor_id, "monitor", (monitors.c.name,))
    return row.name
