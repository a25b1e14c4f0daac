"""Reminders while an incident stays open, every VIGIL_NOTIFY_REMIND_EVERY minutes (0: off).

Reminder n of an incident is due at confirmed_at + n * every, until the incident resolves
or someone on the team acknowledges it ("I'm on it": the reminders have done their job). It
goes, like an update, only
to the channels that were told of the incident's opening (and not under maintenance), keyed
`incident/<cell>/<id>/reminder/<n>`, so a notifier that restarts, or two notifiers of one
cell, send each reminder once. Only the newest owed reminder is sent: a notifier that was
down for an hour sends one reminder, not six.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from notifier.fanout import FanOut, event_key
from shared import delivery_keys
from shared.messages import IncidentEvent

log = logging.getLogger(__name__)

CHECK_EVERY_S = 30.0

_OPEN = """
SELECT id, test_id, monitor_id, state, cause, started_at, confirmed_at FROM incidents
WHERE resolved_at IS NULL AND acknowledged_at IS NULL AND confirmed_at IS NOT NULL
  AND confirmed_at <= $1
"""
_ALREADY = "SELECT 1 FROM notification_deliveries WHERE idempotency_key LIKE $1 LIMIT 1"


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def owed(confirmed_at: datetime, now: datetime, every: timedelta) -> int:
    """The number of the newest reminder due by `now` (0: none yet)."""
    return max(0, (now - confirmed_at) // every) if now > confirmed_at else 0


async def remind_once(fan: FanOut, every: timedelta, now: datetime | None = None) -> int:
    """Send the reminders due now; returns how many incidents were reminded of."""
    now = now or datetime.now(UTC)
    async with fan.pool.acquire() as conn:
        rows = await conn.fetch(_OPEN, now - every)
    reminded = 0
    for row in rows:
        n = owed(row["confirmed_at"], now, every)
        event = IncidentEvent(
            kind="reminder",
            cell=fan.settings.cell,
            incident_id=row["id"],
            test_id=row["test_id"],
            monitor_id=row["monitor_id"],
            state=row["state"],
            cause=row["cause"],
            started_at_ms=_ms(row["started_at"]),
            confirmed_at_ms=_ms(row["confirmed_at"]),
            resolved_at_ms=None,
        )
        key = event_key(event, str(n))
        async with fan.pool.acquire() as conn:
            if await conn.fetchval(_ALREADY, delivery_keys.any_channel_like(key)):
                continue
        if await fan.handle(event, str(n)) == "fanned":
            reminded += 1
    return reminded


async def run(fan: FanOut, every_min: int) -> None:
    if every_min <= 0:
        return
    every = timedelta(minutes=every_min)
    while True:
        await asyncio.sleep(CHECK_EVERY_S)
        try:
            await remind_once(fan, every)
        except Exception:  # the database away for a moment: the next round tries again
            log.exception("reminders failed")
