"""Incidents of the caller's account: list, detail with evidence, acknowledge, updates.

Anyone on the team reads; acknowledging and writing an update needs the editor role. An
update is shown on every status page that lists the incident's monitor.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from api import cursors, paging
from api import incidents as store
from api.deps import AccountId, Conn, EditorCaller
from api.owned import not_found
from api.read_models import SPANS
from api.read_schemas import (
    IncidentDetailOut,
    IncidentOut,
    IncidentState,
    PublicWordsIn,
    Range,
    UpdateIn,
    UpdateOut,
)
from api.routes import PREFIX
from api.schemas import MAX_ID, ErrorOut, Page, Responses

router = APIRouter(prefix=f"{PREFIX}/incidents", tags=["incidents"])

IncidentId = Annotated[int, Path(ge=1, le=MAX_ID)]
NOT_FOUND: Responses = {404: {"model": ErrorOut, "description": "no such incident of this account"}}


@router.get("", response_model=Page[IncidentOut])
async def list_incidents(
    account_id: AccountId,
    conn: Conn,
    monitor_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    state: Annotated[IncidentState | None, Query()] = None,
    range_: Annotated[
        Range | None, Query(alias="range", description="open during the last 24h, 7d...")
    ] = None,
    limit: paging.Limit = 50,
    cursor: paging.Cursor = None,
) -> Page[IncidentOut]:
    """Newest first."""
    before_id = cursors.decode_id(cursor) if cursor else None
    since = datetime.now(UTC) - SPANS[range_] if range_ else None
    query = store.page_query(
        account_id,
        monitor_id=monitor_id,
        state=state,
        since=since,
        before_id=before_id,
        limit=limit + 1,
    )
    rows = (await conn.execute(query)).all()
    page = rows[:limit]
    following = cursors.encode_id(page[-1].id) if len(rows) > limit else None
    return Page[IncidentOut](items=[store.incident_out(r) for r in page], next=following)


async def _detail(conn: Conn, account_id: int, incident_id: int) -> IncidentDetailOut:
    row = await store.find(conn, account_id, incident_id)
    if row is None:
        raise not_found("incident")
    return await store.detail(conn, row)


@router.get("/{incident_id}", response_model=IncidentDetailOut, responses=NOT_FOUND)
async def get_incident(
    incident_id: IncidentId, account_id: AccountId, conn: Conn
) -> IncidentDetailOut:
    return await _detail(conn, account_id, incident_id)


@router.post("/{incident_id}/acknowledge", response_model=IncidentDetailOut, responses=NOT_FOUND)
async def acknowledge_incident(
    incident_id: IncidentId, caller: EditorCaller, conn: Conn
) -> IncidentDetailOut:
    """Records who acknowledged it and when; the first acknowledgement stands."""
    if await store.find(conn, caller.account_id, incident_id) is None:
        raise not_found("incident")
    await store.acknowledge(conn, incident_id, caller.login_id)
    await conn.commit()
    return await _detail(conn, caller.account_id, incident_id)


@router.patch("/{incident_id}", response_model=IncidentDetailOut, responses=NOT_FOUND)
async def name_incident(
    incident_id: IncidentId, body: PublicWordsIn, caller: EditorCaller, conn: Conn
) -> IncidentDetailOut:
    """Give a detected incident a public title and message, shown on the status pages."""
    if await store.find(conn, caller.account_id, incident_id) is None:
        raise not_found("incident")
    await store.name_publicly(conn, incident_id, body.model_dump(exclude_unset=True))
    await conn.commit()
    return await _detail(conn, caller.account_id, incident_id)


@router.post(
    "/{incident_id}/updates",
    status_code=status.HTTP_201_CREATED,
    response_model=UpdateOut,
    responses=NOT_FOUND,
)
async def add_incident_update(
    incident_id: IncidentId, body: UpdateIn, caller: EditorCaller, conn: Conn
) -> UpdateOut:
    """A message for the status pages that show the incident's monitor."""
    if await store.find(conn, caller.account_id, incident_id) is None:
        raise not_found("incident")
    update = await store.add_update(
        conn, incident_id, caller.account_id, caller.login_id, body.message
    )
    await conn.commit()
    return update
