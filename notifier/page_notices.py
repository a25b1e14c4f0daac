"""The owner's news on a status page, told to its subscribers: manual incidents (opened,
each update, resolved) and maintenance (scheduled, started, ended).

The events come on the same queue as detected incidents (`shared.messages.PageEvent`,
written to the outbox by the API and by the processor's maintenance notices), and go the
same way: one delivery per subscriber through the email or webhook channel and the ledger,
keyed by event and subscriber (`shared.delivery_keys.page`), so each is sent once however
often the event comes. Who hears: the confirmed subscribers of the page whose scope covers
an affected monitor (a manual incident), or of every page showing the monitor (its
maintenance), or all of the page's (a page's maintenance). As for detected incidents, an
update or an end goes only to those told of the opening (`noise.should_notify`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import asyncpg

from notifier import noise, subscribers
from notifier.delivery import Delivery
from notifier.message import Notification, known_language
from shared import delivery_keys
from shared.config import Settings
from shared.messages import PageEvent

_MANUAL = """
SELECT i.page_id, i.account_id, i.title, i.started_at, i.resolved_at, u.status, u.message
FROM manual_incidents i JOIN manual_incident_updates u ON u.incident_id = i.id AND u.id = $2
WHERE i.id = $1
"""
_AFFECTED = """
SELECT m.id, m.name, mim.impact, spm.group_name FROM manual_incident_monitors mim
JOIN monitors m ON m.id = mim.monitor_id
LEFT JOIN status_page_monitors spm ON spm.page_id = $2 AND spm.monitor_id = m.id
WHERE mim.incident_id = $1 ORDER BY m.name, m.id
"""
_WINDOW = """
SELECT w.account_id, w.title, w.monitor_id, w.status_page_id, m.name AS monitor
FROM maintenance_windows w LEFT JOIN monitors m ON m.id = w.monitor_id WHERE w.id = $1
"""
# The page's confirmed subscribers: all ($2), or those whose scope names one of the
# monitors ($3) or one of their groups on the page ($4).
_OF_PAGE = """
SELECT s.id, s.kind, s.address, s.secrets, s.language, p.slug, p.title
FROM status_subscribers s JOIN status_pages p ON p.id = s.page_id
WHERE s.page_id = $1 AND s.confirmed_at IS NOT NULL
  AND ($2::bool
       OR (jsonb_typeof(s.monitor_ids) IS DISTINCT FROM 'array'
           AND jsonb_typeof(s.groups) IS DISTINCT FROM 'array')
       OR s.monitor_ids @> ANY (ARRAY(SELECT jsonb_build_array(x) FROM unnest($3::bigint[]) x))
       OR s.groups @> ANY (ARRAY(SELECT jsonb_build_array(g) FROM unnest($4::text[]) g)))
ORDER BY s.id
"""
_TOLD = """
SELECT subscriber_id FROM notification_deliveries
WHERE idempotency_key = any($1::text[]) AND state <> 'failed'
"""
# How noise control sees each kind, and the event whose delivery counts as "told of it".
AS_NOISE = {
    "manual_opened": "opened",
    "manual_updated": "updated",
    "manual_resolved": "resolved",
    "maintenance_scheduled": "opened",
    "maintenance_started": "opened",
    "maintenance_ended": "resolved",
}
OPENING = {
    "manual_updated": "manual_opened",
    "manual_resolved": "manual_opened",
    "maintenance_ended": "maintenance_started",
}


def _when(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def key_of(e: PageEvent, kind: str | None = None) -> str:
    return delivery_keys.page(e.cell, kind or e.kind, e.ref_id, e.update_id, e.starts_at_ms)


async def _manual(
    conn: asyncpg.Connection, e: PageEvent
) -> tuple[Notification, int, list[Any]] | None:
    row = await conn.fetchrow(_MANUAL, e.ref_id, e.update_id)
    if row is None:
        return None
    affected = await conn.fetch(_AFFECTED, e.ref_id, row["page_id"])
    n = Notification(
        kind=e.kind,
        key=key_of(e),
        monitor=row["title"],
        started_at=row["started_at"],
        resolved_at=row["resolved_at"],
        note=row["message"],
        extra={"status": row["status"], "affected": [[a["name"], a["impact"]] for a in affected]},
    )
    groups = sorted({a["group_name"] for a in affected if a["group_name"]})
    return (
        n,
        row["account_id"],
        await conn.fetch(_OF_PAGE, row["page_id"], False, [a["id"] for a in affected], groups),
    )


async def _maintenance(
    conn: asyncpg.Connection, e: PageEvent
) -> tuple[Notification, int, list[Any]] | None:
    row = await conn.fetchrow(_WINDOW, e.ref_id)
    if row is None:
        return None
    n = Notification(
        kind=e.kind,
        key=key_of(e),
        monitor=row["title"],
        started_at=_when(e.starts_at_ms),
        resolved_at=_when(e.ends_at_ms),
        extra={"monitor": row["monitor"] or ""},
    )
    if row["status_page_id"] is not None:
        found = await conn.fetch(_OF_PAGE, row["status_page_id"], True, [], [])
    else:
        found = await conn.fetch(subscribers.SUBSCRIBERS, row["monitor_id"])
    return n, row["account_id"], found


async def plan(conn: asyncpg.Connection, settings: Settings, e: PageEvent) -> list[Delivery] | None:
    """The subscribers' deliveries of `e`, registered in the ledger; None when what it
    speaks of is gone."""
    found = await (_manual if e.kind.startswith("manual_") else _maintenance)(conn, e)
    if found is None:
        return None
    n, account_id, rows = found
    told: set[int] = set()
    if e.kind in OPENING:
        opening = key_of(e, OPENING[e.kind])
        keys = [delivery_keys.for_channel(opening, f"sub{s['id']}") for s in rows]
        told = {r["subscriber_id"] for r in await conn.fetch(_TOLD, keys)}
    out, register = [], []
    for s in rows:
        if not noise.should_notify(AS_NOISE[e.kind], muted=False, told_of_incident=s["id"] in told):
            continue
        mine = replace(
            n,
            language=known_language(s["language"]),
            url=f"{settings.public_url}/s/{s['slug']}",
            extra={**n.extra, "status_page": s["slug"]},
        )
        d = subscribers.delivery_for(settings, mine, account_id, s)
        if d is not None:
            out.append(d)
            register.append((d.key, account_id, d.channel_kind, e.kind, None, s["id"]))
    await conn.executemany(subscribers.REGISTER, register)
    return out
