"""What the owner posted on a public page beside what Vigil measured: manual incidents (open,
or resolved in the last week) with their updates, and the phase of each maintenance window,
a recurring one as its occurrence on now or next."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared import recurrence
from shared.tables import manual_incident_monitors, manual_incident_updates, manual_incidents

RECENT = timedelta(days=7)  # a resolved manual incident stays on the page this long
mi, mim, miu = manual_incidents, manual_incident_monitors, manual_incident_updates


async def incidents(conn: AsyncConnection, page_id: int, now: datetime) -> list[dict[str, Any]]:
    """The page's manual incidents to show, newest first, each with impacts and updates."""
    rows = (
        await conn.execute(
            select(mi.c.id, mi.c.title, mi.c.status, mi.c.started_at, mi.c.resolved_at)
            .where(
                mi.c.page_id == page_id,
                or_(mi.c.resolved_at.is_(None), mi.c.resolved_at > now - RECENT),
            )
            .order_by(mi.c.started_at.desc(), mi.c.id.desc())
            .limit(20)
        )
    ).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    impacts = (
        await conn.execute(
            select(mim.c.incident_id, mim.c.monitor_id, mim.c.impact).where(
                mim.c.incident_id.in_(ids)
            )
        )
    ).all()
    updates = (
        await conn.execute(
            select(miu.c.incident_id, miu.c.status, miu.c.message, miu.c.created_at)
            .where(miu.c.incident_id.in_(ids))
            .order_by(miu.c.id)
        )
    ).all()
    return [
        {
            "id": r.id,
            "title": r.title,
            "status": r.status,
            "started_at": r.started_at.isoformat(),
            "resolved_at": r.resolved_at.isoformat() if r.resolved_at else None,
            "affected": [
                {"monitor_id": i.monitor_id, "impact": i.impact}
                for i in impacts
                if i.incident_id == r.id
            ],
            "updates": [
                {"status": u.status, "message": u.message, "created_at": u.created_at.isoformat()}
                for u in updates
                if u.incident_id == r.id
            ],
        }
        for r in rows
    ]


def windows(rows: Sequence[Any], now: datetime, ahead: timedelta) -> list[dict[str, Any]]:
    """Each window's occurrence that matters now with its phase, those ended left out."""
    shown = []
    for w in rows:
        start, end = recurrence.window_at(w.starts_at, w.ends_at, w.recurrence, w.timezone, now)
        if end > now and start < now + ahead:
            shown.append(
                {
                    "title": w.title,
                    "starts_at": start,
                    "ends_at": end,
                    "monitor_id": w.monitor_id,
                    "recurrence": w.recurrence,
                    "phase": recurrence.phase(start, end, now),
                }
            )
    return sorted(shown, key=lambda w: w["starts_at"])
