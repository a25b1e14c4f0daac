"""GET /public/status-pages/{slug}: a status page for anyone, no token, cached.

Built from the newest state of each test (`test_state`), the daily rollups (90 bars per
monitor) and the incidents with their updates, in six queries, rendered to JSON bytes
once, and served from `api.public_cache` until the TTL or a change.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Path, Request, Response
from sqlalchemy import or_, select
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api import incidents as incident_store
from api import read_models
from api.read_models import BAR_DAYS
from api.resource_schemas import SLUG_PATTERN
from api.routes import PREFIX
from api.schemas import ErrorOut
from api.status import monitor_status
from shared import queries
from shared.messages import Status
from shared.tables import (
    maintenance_windows,
    monitors,
    status_page_monitors,
    status_pages,
    test_state,
    tests,
)

router = APIRouter(prefix=f"{PREFIX}/public", tags=["public"])
PAGES = f"{PREFIX}/public/status-pages/"  # the cache's key is what follows

UPCOMING = timedelta(days=7)  # maintenance shown ahead of time
MAX_INCIDENTS = 200  # of the last 90 days, newest first
Slug = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=63)]
spm = status_page_monitors
mw = maintenance_windows


Answer = tuple[int, bytes, list[tuple[bytes, bytes]]]  # status, body, extra headers
NOT_FOUND: Answer = (404, b'{"detail": "status page not found"}', [])
BUSY = b'{"detail": "too many requests at once; try again shortly"}'


async def _answer(app: Any, slug: str) -> Answer:
    """The page if this cell has it; else a redirect to the cell that has, if any."""
    found = await _page(app.state.engine, slug)
    if found is not None or app.state.directory is None:
        return found or NOT_FOUND
    cell = await app.state.directory.locate_slug(slug)
    if cell is None or cell.name == app.state.settings.cell:
        return NOT_FOUND
    location = f"{cell.api_url}{PAGES}{slug}".encode()
    return 307, b"", [(b"location", location)]


async def _page(engine: AsyncEngine, slug: str) -> Answer | None:
    async with engine.connect() as conn:
        page = (await conn.execute(select(status_pages).where(status_pages.c.slug == slug))
                ).first()
        if page is None:
            return None
        states = (await conn.execute(
            select(spm.c.monitor_id, monitors.c.name, spm.c.group_name, spm.c.position,
                   test_state.c.status)
            .join(monitors, monitors.c.id == spm.c.monitor_id)
            .outerjoin(tests, (tests.c.monitor_id == monitors.c.id) & tests.c.enabled)
            .outerjoin(test_state, test_state.c.test_id == tests.c.id)
            .where(spm.c.page_id == page.id)
            .order_by(spm.c.position, monitors.c.name, spm.c.monitor_id))).all()
        now = datetime.now(UTC)
        windows = (await conn.execute(
            select(mw.c.title, mw.c.starts_at, mw.c.ends_at, mw.c.monitor_id)
            .where(or_(mw.c.status_page_id == page.id,
                       mw.c.monitor_id.in_(select(spm.c.monitor_id).where(
                           spm.c.page_id == page.id))),
                   mw.c.ends_at > now, mw.c.starts_at < now + UPCOMING)
            .order_by(mw.c.starts_at))).all()
        history = await _history(conn, list(dict.fromkeys(r.monitor_id for r in states)), now)

    def body() -> bytes:
        return json.dumps({**_render(page, states, windows, now), **history()}).encode()

    # Rendering 100 monitors' bars is ~10 ms of Python on a quiet machine: in a thread, so
    # the event loop goes on answering cached pages meanwhile (it gets the GIL back every
    # few milliseconds) instead of stalling them all behind one miss.
    return 200, await anyio.to_thread.run_sync(body), []


async def _history(conn: AsyncConnection, monitor_ids: list[int], now: datetime
                   ) -> Callable[[], dict[str, Any]]:
    """The 90 daily bars of each monitor and the page's incidents of those 90 days (open
    ones and resolved ones, newest first), with the updates the team wrote: read now,
    rendered by the function returned."""
    first_day, rows = await queries.monitors_daily_arrays(conn, monitor_ids, now.date(),
                                                          BAR_DAYS)
    first = datetime.combine(first_day, time(), UTC)
    found = await queries.incidents_between(conn, first, now + timedelta(days=1),
                                            monitor_ids=monitor_ids, limit=MAX_INCIDENTS)
    updates = await incident_store.updates_of(conn, [i.id for i in found])
    return lambda: _history_json(monitor_ids, queries.spread_days(
        first_day, BAR_DAYS, monitor_ids, rows), found, updates, now)


def _history_json(monitor_ids: list[int],
                  spread: tuple[list[date], dict[int, list[queries.DayCounts | None]]],
                  found: list[Any], updates: dict[int, list[Any]], now: datetime
                  ) -> dict[str, Any]:
    days, counts = spread
    per_monitor: dict[int | None, list[Any]] = defaultdict(list)
    for incident in found:
        per_monitor[incident.monitor_id].append(incident)
    return {
        "bars": [_bars_json(m, days, counts[m], per_monitor[m], now) for m in monitor_ids],
        "incidents": [{
            "id": i.id, "monitor_id": i.monitor_id, "state": i.state,
            "severity": read_models.severity(i), "started_at": i.started_at.isoformat(),
            "resolved_at": i.resolved_at and i.resolved_at.isoformat(),
            "updates": [{"message": u.message, "created_at": u.created_at.isoformat()}
                        for u in updates[i.id]],
        } for i in found],
    }


def _bars_json(monitor_id: int, days: list[date], counts: list[queries.DayCounts | None],
               incidents: list[Any], now: datetime) -> dict[str, Any]:
    # Parallel arrays, oldest day first: 100 monitors' bars stay near 130 kB, not 600.
    checks = [c[0] if c else 0 for c in counts]
    marks = read_models.day_marks(days, checks, incidents, now)
    return {
        "monitor_id": monitor_id,
        "first_day": days[0].isoformat() if days else None,
        "uptime": [round((c[0] - c[1]) / c[0], 5) if c and c[0] else None for c in counts],
        "status": [status for status, _ in marks],
        "incident_ids": {day.isoformat(): ids for day, (_, ids) in zip(days, marks, strict=True)
                         if ids},
    }


def _render(page: Any, states: list[Any], windows: list[Any], now: datetime) -> dict[str, Any]:
    in_maintenance = {w.monitor_id for w in windows if w.starts_at <= now}
    whole_page = any(w.monitor_id is None and w.starts_at <= now for w in windows)
    per_monitor: dict[int, dict[str, Any]] = {}
    test_states: dict[int, list[str | None]] = defaultdict(list)
    for row in states:
        per_monitor.setdefault(row.monitor_id, {"id": row.monitor_id, "name": row.name,
                                                "group": row.group_name})
        test_states[row.monitor_id].append(
            None if row.status is None else Status(row.status).label)
    groups: dict[str | None, list[dict[str, Any]]] = {None: []}
    groups.update({name: [] for name in page.groups})
    for monitor_id, monitor in per_monitor.items():
        maintained = whole_page or monitor_id in in_maintenance
        status = "maintenance" if maintained else monitor_status(test_states[monitor_id])
        groups.setdefault(monitor.pop("group"), []).append({**monitor, "status": status})
    return {
        "slug": page.slug, "title": page.title, "logo_url": page.logo_url,
        "language": page.language,
        "status": _overall([m["status"] for ms in groups.values() for m in ms]),
        "groups": [{"name": name, "monitors": ms} for name, ms in groups.items() if ms],
        "maintenance": [{"title": w.title, "starts_at": w.starts_at.isoformat(),
                         "ends_at": w.ends_at.isoformat(), "monitor_id": w.monitor_id}
                        for w in windows],
        "generated_at": now.isoformat(),
    }


def _overall(statuses: list[str]) -> str:
    for worst in ("down", "degraded", "maintenance", "pending"):
        if worst in statuses:
            return worst
    return "up"


@router.get("/status-pages/{slug}", responses={404: {"model": ErrorOut},
                                               503: {"model": ErrorOut}},
            response_description="the page, its groups and the state of each monitor")
async def public_status_page(slug: Slug, request: Request) -> Response:
    app = request.app
    try:
        code, body, extra = await app.state.public_cache.get(slug, lambda: _answer(app, slug))
    except PoolTimeout:
        # More misses than connections for longer than the pool waits (a cache turned off
        # under a crowd): say so, and when to come back, rather than fail with a 500.
        return Response(BUSY, status_code=503, media_type="application/json",
                        headers={"Retry-After": "1"})
    ttl = int(app.state.settings.public_cache_ttl_s)
    headers = {"Cache-Control": f"public, max-age={ttl}",
               **{k.decode(): v.decode() for k, v in extra}}
    return Response(body, status_code=code, media_type="application/json", headers=headers)


class _Route:
    """What the metrics middleware needs of a route: its path template."""

    path = f"{PAGES}{{slug}}"


ROUTE = _Route()
