"""Status page subscribers, the parts both the public sign-up and the owner's routes use:
what a subscriber may narrow its subscription to, and the rows as the owner sees them."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.tables import status_page_monitors, status_subscribers

spm = status_page_monitors
ss = status_subscribers
MAX_SCOPE = 200
OWNER_COLUMNS = (
    ss.c.id,
    ss.c.kind,
    ss.c.address,
    ss.c.monitor_ids,
    ss.c.groups,
    ss.c.language,
    ss.c.created_at,
    ss.c.confirmed_at,
)


def unprocessable(field: str, message: str) -> HTTPException:
    """A 422 shaped like FastAPI's own, naming the field."""
    return HTTPException(422, [{"loc": ["body", field], "msg": message, "type": "value_error"}])


async def check_scope(
    conn: AsyncConnection, page_id: int, monitor_ids: list[int] | None, groups: list[str] | None
) -> None:
    """Refuse monitors the page does not show and groups it does not have."""
    rows = (
        await conn.execute(
            select(spm.c.monitor_id, spm.c.group_name).where(spm.c.page_id == page_id)
        )
    ).all()
    if monitor_ids is not None:
        unknown = sorted(set(monitor_ids) - {r.monitor_id for r in rows})
        if unknown:
            raise unprocessable("monitor_ids", f"not on this page: {unknown[:10]}")
    if groups is not None:
        unknown_groups = sorted(set(groups) - {r.group_name for r in rows})
        if unknown_groups:
            raise unprocessable("groups", f"not a group of this page: {unknown_groups[:10]}")


def owner_view(row: Any) -> dict[str, Any]:
    """A subscriber as the page's owner sees it (a webhook's secret never leaves)."""
    return {
        "id": row.id,
        "kind": row.kind,
        "address": row.address,
        "monitor_ids": row.monitor_ids,
        "groups": row.groups,
        "language": row.language,
        "created_at": row.created_at,
        "confirmed_at": row.confirmed_at,
        "confirmed": row.confirmed_at is not None,
    }
