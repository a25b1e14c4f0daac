"""Incidents of an account in the cell database.

Incidents are written by the result processor and carry no account id: they belong to an
account through their test, so every query here is scoped by `tests.account_id`. An
incident of a deleted test is no longer shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from api.read_schemas import IncidentDetailOut, IncidentOut, UpdateOut, evidence_out
from shared.db import AnyRow
from shared.tables import incident_updates, incidents, tests

i = incidents.c
u = incident_updates.c
_COLUMNS = (
    i.id,
    i.test_id,
    i.monitor_id,
    i.state,
    i.cause,
    i.started_at,
    i.confirmed_at,
    i.resolved_at,
    i.acknowledged_at,
    i.acknowledged_by,
    i.public_title,
    i.public_message,
)


def of_account(account_id: int) -> ColumnElement[bool]:
    return i.test_id.in_(select(tests.c.id).where(tests.c.account_id == account_id))


def page_query(
    account_id: int,
    *,
    monitor_id: int | None,
    state: str | None,
    since: datetime | None,
    before_id: int | None,
    limit: int,
) -> Select[Any]:
    """Newest first (by id); `before_id` is the cursor, the last id of the previous page."""
    query = select(*_COLUMNS).where(of_account(account_id)).order_by(i.id.desc()).limit(limit)
    if monitor_id is not None:
        query = query.where(i.monitor_id == monitor_id)
    if state == "open":
        query = query.where(i.resolved_at.is_(None))
    elif state == "resolved":
        query = query.where(i.resolved_at.is_not(None))
    if since is not None:  # overlapping the range: still open, or resolved within it
        query = query.where(or_(i.resolved_at.is_(None), i.resolved_at >= since))
    if before_id is not None:
        query = query.where(i.id < before_id)
    return query


def incident_out(row: AnyRow) -> IncidentOut:
    return IncidentOut.model_validate(dict(row._mapping))


async def find(conn: AsyncConnection, account_id: int, incident_id: int) -> AnyRow | None:
    query = select(*_COLUMNS, i.evidence).where(i.id == incident_id, of_account(account_id))
    return (await conn.execute(query)).first()


async def updates_of(conn: AsyncConnection, incident_ids: Sequence[int]) -> dict[int, list[AnyRow]]:
    """The updates (id, message, author_id, created_at) of several incidents, oldest first,
    keyed by incident id: rows, not models, as a public page reads hundreds."""
    query = (
        select(u.incident_id, u.id, u.message, u.author_id, u.created_at)
        .where(u.incident_id.in_(list(incident_ids)))
        .order_by(u.incident_id, u.id)
    )
    found: dict[int, list[AnyRow]] = {incident_id: [] for incident_id in incident_ids}
    for row in (await conn.execute(query)).all():
        found[row.incident_id].append(row)
    return found


def update_out(row: AnyRow) -> UpdateOut:
    return UpdateOut(
        id=row.id, message=row.message, author_id=row.author_id, created_at=row.created_at
    )


async def detail(conn: AsyncConnection, row: AnyRow) -> IncidentDetailOut:
    updates = [update_out(u) for u in (await updates_of(conn, [row.id]))[row.id]]
    base = incident_out(row).model_dump()
    return IncidentDetailOut(**base, evidence=evidence_out(row.evidence), updates=updates)


async def name_publicly(conn: AsyncConnection, incident_id: int, words: dict[str, Any]) -> None:
    """Set what the status pages call the incident (the fields given; null clears one)."""
    if words:
        await conn.execute(update(incidents).where(i.id == incident_id).values(**words))


async def acknowledge(conn: AsyncConnection, incident_id: int, login_id: int) -> None:
    """The first acknowledgement stands: acknowledging again changes nothing."""
    await conn.execute(
        update(incidents)
        .where(i.id == incident_id, i.acknowledged_at.is_(None))
        .values(acknowledged_at=func.now(), acknowledged_by=login_id)
    )


async def add_update(
    conn: AsyncConnection, incident_id: int, account_id: int, login_id: int, message: str
) -> UpdateOut:
    query = (
        insert(incident_updates)
        .values(incident_id=incident_id, account_id=account_id, author_id=login_id, message=message)
        .returning(u.id, u.message, u.author_id, u.created_at)
    )
    row = (await conn.execute(query)).one()
    return UpdateOut(
        id=row.id, message=row.message, author_id=row.author_id, created_at=row.created_at
    )
