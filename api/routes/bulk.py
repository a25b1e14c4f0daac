"""Bulk actions on a selection of monitors: pause, resume, delete, add to a status page.

A selection is taken whole or refused whole: an id that is not one of the caller's
monitors (another account's, or none) is a 422 naming `ids`, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from api import heartbeats
from api.cells import directory
from api.deps import Conn, EditorAccountId
from api.resource_schemas import BulkIn, BulkOut
from api.routes import PREFIX
from shared.tables import heartbeats as heartbeat_rows
from shared.tables import monitors, status_page_monitors, status_pages, tests

router = APIRouter(prefix=f"{PREFIX}/monitors", tags=["monitors"])


def invalid(field: str, value: object, message: str) -> RequestValidationError:
    return RequestValidationError(
        [
            {
                "type": "value_error",
                "loc": ("body", field),
                "input": value,
                "msg": f"Value error, {message}",
            }
        ]
    )


async def _check_selection(conn: AsyncConnection, account_id: int, ids: Sequence[int]) -> None:
    # FOR UPDATE: a monitor deleted meanwhile cannot slip out between the check and the act.
    found = set(
        (
            await conn.execute(
                select(monitors.c.id)
                .where(monitors.c.account_id == account_id, monitors.c.id.in_(ids))
                .with_for_update()
            )
        ).scalars()
    )
    foreign = [i for i in ids if i not in found]
    if foreign:
        raise invalid("ids", foreign[:10], "not monitors of this account")


async def _set_enabled(
    conn: AsyncConnection, account_id: int, ids: Sequence[int], enabled: bool
) -> int:
    changed = list(
        (
            await conn.execute(
                update(tests)
                .where(
                    tests.c.account_id == account_id,
                    tests.c.monitor_id.in_(ids),
                    tests.c.enabled.is_not(enabled),
                )
                .values(enabled=enabled, version=tests.c.version + 1, updated_at=func.now())
                .returning(tests.c.id)
            )
        ).scalars()
    )
    # Heartbeats as a single test's pause or resume leaves them (api.heartbeats.rearm).
    hb = (
        set(
            (
                await conn.execute(
                    select(heartbeat_rows.c.test_id).where(heartbeat_rows.c.test_id.in_(changed))
                )
            ).scalars()
        )
        if changed
        else set()
    )
    for test_id in hb:
        await heartbeats.rearm(conn, test_id, enabled, not enabled)
    await conn.execute(update(monitors).where(monitors.c.id.in_(ids)).values(updated_at=func.now()))
    return len(ids)


async def _delete(conn: AsyncConnection, account_id: int, ids: Sequence[int]) -> list[str]:
    tokens = []
    for monitor_id in ids:
        tokens += await heartbeats.tokens_of(conn, account_id, monitor_id=monitor_id)
    await conn.execute(
        delete(monitors).where(monitors.c.account_id == account_id, monitors.c.id.in_(ids))
    )
    return tokens


async def _add_to_page(conn: AsyncConnection, account_id: int, body: BulkIn) -> int:
    if body.status_page_id is None:
        raise invalid("status_page_id", None, "required to add monitors to a status page")
    page = (
        await conn.execute(
            select(status_pages.c.groups).where(
                status_pages.c.id == body.status_page_id, status_pages.c.account_id == account_id
            )
        )
    ).first()
    if page is None:
        raise invalid("status_page_id", body.status_page_id, "not a status page of this account")
    if body.group is not None and body.group not in page.groups:
        raise invalid("group", body.group, "not one of the page's groups")
    added = await conn.execute(
        insert(status_page_monitors)
        .values(
            [
                {
                    "page_id": body.status_page_id,
                    "monitor_id": i,
                    "account_id": account_id,
                    "group_name": body.group,
                }
                for i in body.ids
            ]
        )
        .on_conflict_do_nothing()
    )
    await conn.execute(
        update(status_pages)
        .where(status_pages.c.id == body.status_page_id)
        .values(updated_at=func.now())
    )
    return added.rowcount


@router.post(
    "/bulk",
    response_model=BulkOut,
    responses={
        422: {"description": "a field is wrong, or an id is not one of the caller's monitors"}
    },
)
async def bulk(body: BulkIn, account_id: EditorAccountId, conn: Conn, request: Request) -> BulkOut:
    """Pause, resume, delete or add to a status page every monitor of `ids`, or none."""
    if body.action != "add_to_status_page" and (body.status_page_id or body.group):
        field = "status_page_id" if body.status_page_id else "group"
        raise invalid(field, getattr(body, field), "goes with add_to_status_page only")
    await _check_selection(conn, account_id, body.ids)
    tokens: list[str] = []
    if body.action == "delete":
        tokens = await _delete(conn, account_id, body.ids)
        count = len(body.ids)
    elif body.action == "add_to_status_page":
        count = await _add_to_page(conn, account_id, body)
    else:
        count = await _set_enabled(conn, account_id, body.ids, body.action == "resume")
    await conn.commit()
    await heartbeats.forget(directory(request), tokens)
    return BulkOut(action=body.action, count=count)
