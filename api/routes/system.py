"""GET /system: the operator's view of this cell and the deployment (admins only).

Cells and their load come from the directory, queue depths from RabbitMQ's management API
(an unreachable one leaves `queues` empty and says why in `queues_error`), the ingest rate
from the rows the result processors write (`shared.ingest`), never from counting results.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict
from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from api import cells as directory_of
from api.deps import AdminAccountId, Conn, SettingsDep
from api.routes import PREFIX
from shared import ingest, names
from shared.config import Settings
from shared.rabbitmq_admin import AdminError, RabbitAdmin, vhost_of
from shared.tables import accounts, tests

router = APIRouter(prefix=PREFIX, tags=["system"])
log = logging.getLogger(__name__)

MANAGEMENT_TIMEOUT_S = 3.0  # the page must answer even when the broker's API hangs


class ThisCellOut(BaseModel):
    name: str
    accounts: int
    capacity: int | None  # None: no directory, so no capacity set
    closed: bool


class DirectoryCellOut(ThisCellOut):
    api_url: str | None


class QueueOut(BaseModel):
    name: str
    messages: int
    consumers: int
    rate_in: float | None  # messages published a second, as the broker last sampled


class IngestRateOut(BaseModel):
    results_per_second: float
    window_seconds: int
    last_result_at: datetime | None
    processors: int


class CellTestsOut(BaseModel):
    enabled: int
    total: int


class SystemOut(BaseModel):
    cell: ThisCellOut
    cells: list[DirectoryCellOut]
    cells_error: str | None = None  # the directory could not be read
    queues: list[QueueOut]
    queues_error: str | None = None
    ingest: IngestRateOut
    tests: CellTestsOut


@router.get("/system", response_model=SystemOut)
async def system(
    _: AdminAccountId, conn: Conn, settings: SettingsDep, request: Request
) -> SystemOut:
    # The broker's API is the slowest source: asked first, awaited last.
    asking_broker = asyncio.create_task(_queues(settings))
    try:
        owners = (
            await conn.execute(
                select(func.count()).select_from(accounts).where(accounts.c.owner_id.is_(None))
            )
        ).scalar_one()
        cells, cells_error = await _cells(request)
        rates = await ingest.read(conn, settings.cell)
        enabled, total = (
            await conn.execute(
                select(func.count().filter(tests.c.enabled), func.count()).select_from(tests)
            )
        ).one()
    except BaseException:
        asking_broker.cancel()
        raise
    queues, queues_error = await asking_broker
    cell = ThisCellOut(name=settings.cell, accounts=owners, capacity=None, closed=False)
    for entry in cells:
        if entry.name == settings.cell:
            cell = cell.model_copy(update={"capacity": entry.capacity, "closed": entry.closed})
    return SystemOut(
        cell=cell,
        cells=cells,
        cells_error=cells_error,
        queues=queues,
        queues_error=queues_error,
        ingest=IngestRateOut(**asdict(rates)),
        tests=CellTestsOut(enabled=enabled, total=total),
    )


async def _cells(request: Request) -> tuple[list[DirectoryCellOut], str | None]:
    """Every cell of the directory with its load; none if there is no directory or it is
    away (the rest of the view is this cell's own and still worth showing)."""
    directory = directory_of.directory(request)
    if directory is None:
        return [], None
    try:
        listed = await directory.cells()
    except (OSError, SQLAlchemyError) as exc:
        log.warning("directory unreadable", extra={"error": str(exc)})
        return [], "the directory database cannot be reached"
    return [
        DirectoryCellOut(
            name=c.name, api_url=c.api_url, accounts=c.load, capacity=c.capacity, closed=not c.open
        )
        for c in listed
    ], None


async def _queues(settings: Settings) -> tuple[list[QueueOut], str | None]:
    """This cell's queues, by name; or none and the reason the broker's API gave none."""
    try:
        async with RabbitAdmin(
            settings.rabbitmq_management_url,
            vhost_of(settings.amqp_url),
            timeout=MANAGEMENT_TIMEOUT_S,
        ) as admin:
            found = await admin.queues()
    except AdminError as exc:
        return [], str(exc)
    except ValueError:  # not JSON: the URL names something else than the management API
        return [], "the management API answered something that is not JSON"
    mine = [
        q
        for q in found
        if isinstance(q, dict) and names.is_cell_queue(str(q.get("name")), settings.cell)
    ]
    return [
        QueueOut(
            name=q["name"],
            messages=q.get("messages") or 0,
            consumers=q.get("consumers") or 0,
            rate_in=_rate(q),
        )
        for q in sorted(mine, key=lambda q: q["name"])
    ], None


def _rate(queue: dict) -> float | None:
    rate = queue.get("message_stats", {}).get("publish_details", {}).get("rate")
    return float(rate) if isinstance(rate, int | float) else None
