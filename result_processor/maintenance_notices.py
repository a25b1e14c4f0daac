"""Maintenance phases as news for status page subscribers: scheduled, started, ended.

A window's phase is computed from its times (`shared.recurrence`), so nothing happens at a
start or an end unless someone looks. This loop looks every `TICK_S`: what each window (each
occurrence of a recurring one) has reached is a notice, recorded in `maintenance_notices` and
written to the outbox in one transaction, so the primary key makes a restarted processor, or
two processors of a cell, tell each phase of each occurrence once. The notifier then tells
the subscribers, as for any event on the outbox (`notifier.page_notices`).

What is told (`due`, pure): "scheduled" once per window (keyed by its first start, so moving
the window tells the new time), only while it is still to come; "started" while an
occurrence is on; "ended" only for an occurrence whose start was told, within `GRACE` of its
end. A phase seen too late (the processor was down, the window was made while on) is
recorded as not told, and never told later.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from prometheus_client import Counter

from shared import names, recurrence
from shared.codec import encode_page_event
from shared.messages import PageEvent

log = logging.getLogger(__name__)

NOTICES = Counter(
    "vigil_processor_maintenance_notices_total",
    "Maintenance phases noticed, by phase and whether they were told",
    ["phase", "told"],
)
TICK_S = 2.0
GRACE = timedelta(days=1)  # an end told this long after it, if its start was told

# Single windows not long over, and every recurring one (its rule says what is on).
_WINDOWS = """
SELECT id, starts_at, ends_at, recurrence, timezone FROM maintenance_windows
WHERE recurrence IS NOT NULL OR ends_at > $1
"""
# What was noticed already, read once per look, so a look writes only what is new.
_KNOWN = """
SELECT window_id, occurrence_start, phase FROM maintenance_notices
WHERE window_id = any($1::bigint[])
"""
_NOTICE = """
INSERT INTO maintenance_notices (window_id, occurrence_start, phase, told)
VALUES ($1, $2, $3::text, $4 AND ($3::text <> 'ended' OR EXISTS (
    SELECT 1 FROM maintenance_notices WHERE window_id = $1 AND occurrence_start = $2
    AND phase = 'started' AND told)))
ON CONFLICT DO NOTHING RETURNING told
"""
_OUTBOX = "INSERT INTO event_outbox (routing_key, body) VALUES ($1, $2)"


@dataclass(frozen=True)
class Notice:
    phase: str  # scheduled | started | ended
    key_start: datetime  # what keys it: the occurrence's start (the first start: scheduled)
    starts_at: datetime  # the occurrence it speaks of
    ends_at: datetime
    tell: bool  # ended: if its start was told, which the database knows


def _occurrences(w: Any, now: datetime) -> list[tuple[datetime, datetime]]:
    if w["recurrence"] is None or w["timezone"] is None:
        return [(w["starts_at"], w["ends_at"])] if w["ends_at"] > now - GRACE else []
    rule, zone = recurrence.parse(w["recurrence"]), recurrence.zone(w["timezone"])
    return recurrence.around(
        rule,
        w["starts_at"],
        w["ends_at"] - w["starts_at"],
        zone,
        now - GRACE,
        now + timedelta(microseconds=1),
    )


def due(w: Any, now: datetime) -> list[Notice]:
    """The notices window `w` (starts_at, ends_at, recurrence, timezone) owes at `now`."""
    start, end = recurrence.window_at(
        w["starts_at"], w["ends_at"], w["recurrence"], w["timezone"], now
    )
    out = [
        Notice(
            "scheduled",
            w["starts_at"],
            start,
            end,
            recurrence.phase(start, end, now) == "scheduled",
        )
    ]
    for start, end in _occurrences(w, now):
        if start <= now < end:
            out.append(Notice("started", start, start, end, True))
        elif end <= now:
            out.append(Notice("ended", start, start, end, True))
    return out


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


async def notice_once(pool: asyncpg.Pool, cell: str, now: datetime | None = None) -> int:
    """Record what every window owes now; returns how many notices went to the outbox."""
    now = now or datetime.now(UTC)
    async with pool.acquire() as conn:
        windows = await conn.fetch(_WINDOWS, now - GRACE)
        known = {
            (r["window_id"], r["occurrence_start"], r["phase"])
            for r in await conn.fetch(_KNOWN, [w["id"] for w in windows])
        }
        told = 0
        for w in windows:
            try:
                notices = due(w, now)
            except recurrence.RuleError:  # the API refuses such rules; an old row is skipped
                continue
            for n in notices:
                if (w["id"], n.key_start, n.phase) not in known:
                    told += await _record(conn, cell, w["id"], n)
    return told


async def _record(conn: asyncpg.Connection, cell: str, window_id: int, n: Notice) -> int:
    async with conn.transaction():
        told = await conn.fetchval(_NOTICE, window_id, n.key_start, n.phase, n.tell)
        if told is None:
            return 0  # noticed before, by this processor or another
        NOTICES.labels(n.phase, str(told).lower()).inc()
        if not told:
            return 0
        event = PageEvent(
            kind=f"maintenance_{n.phase}",
            cell=cell,
            ref_id=window_id,
            starts_at_ms=_ms(n.starts_at),
            ends_at_ms=_ms(n.ends_at),
        )
        await conn.execute(_OUTBOX, names.page_key(event.kind, cell), encode_page_event(event))
    return 1


async def notice_forever(pool: asyncpg.Pool, cell: str, wake: asyncio.Event) -> None:
    """Notice phases as they come; `wake` tells the outbox publisher there is news."""
    while True:
        try:
            if await notice_once(pool, cell):
                wake.set()
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("maintenance notices failed, will retry", extra={"error": str(exc)})
        await asyncio.sleep(TICK_S)
