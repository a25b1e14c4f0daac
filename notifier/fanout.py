"""From one incident event to one delivery per channel that should hear of it.

The processor publishes each incident change once (`result_processor.outbox`) to
`vigil.events`; the cell's queue `vigil.notifications.<cell>` holds them for this fan-out. For
each event it reads the incident, its test and monitor, the monitor's enabled channels and
the maintenance windows that cover it, asks `noise.should_notify` per channel, then
registers each delivery (a `waiting` row of the ledger) and publishes it, with publisher
confirms, to the cell's deliveries queue, where the engine sends it. The event is acked
last: a crash before that replays the event, and the deliveries' idempotency keys (event +
channel) make the replay send nothing twice.

Registering the row here is also how a recovery knows whom to tell: a channel hears
"resolved" only if a delivery of the incident's opening was registered for it and did not
fail for good (an incident opened inside a maintenance window was told to nobody, so its end
is told to nobody either).

Each notification is written in the language of the account (its owner's `language`).
Status page subscribers are told too (`notifier.subscribers`), in the page's language.
Certificate events (`shared.messages.CertEvent`) share the queue and this path: see
`notifier.certs`; so do the owner's news on a status page (`shared.messages.PageEvent`:
manual incidents, maintenance), told to the page's subscribers: see `notifier.page_notices`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aio_pika.abc import AbstractIncomingMessage
from aiormq.exceptions import AMQPError
from prometheus_client import Counter

from notifier import certs, noise, page_notices, subscribers
from notifier.delivery import Delivery, encode_delivery
from notifier.message import Notification, RegionEvidence, known_language, target_of
from shared import amqp, delivery_keys
from shared.codec import decode_event
from shared.config import Settings
from shared.messages import CertEvent, IncidentEvent, PageEvent
from shared.secrets import SecretError, decrypt_json, encrypt_json

log = logging.getLogger(__name__)

EVENTS = Counter(
    "vigil_notifier_events_total", "Incident and certificate events by outcome", ["outcome"]
)
FANNED = Counter(
    "vigil_notifier_fanout_deliveries_total",
    "Deliveries published for incident and certificate events",
    ["kind"],
)
DB_RETRY_S = 1.0
# Deliveries published before their confirms are awaited: a page's thousands of subscribers
# go out at the broker's pace, not at one round trip each.
PUBLISH_AT_ONCE = 500
KINDS = {"opened": "opened", "changed": "updated", "resolved": "resolved", "reminder": "reminder"}
TOLD = ("opened", "confirmed", "updated")  # deliveries that told a channel of an incident

Publish = Callable[[bytes], Awaitable[None]]

_INCIDENT = """
SELECT i.id, i.state, i.cause, i.started_at, i.confirmed_at, i.resolved_at, i.evidence,
       i.acknowledged_at,
       t.account_id, t.config, m.id AS monitor_id, m.name AS monitor, a.language
FROM incidents i JOIN tests t ON t.id = i.test_id JOIN monitors m ON m.id = t.monitor_id
JOIN accounts a ON a.id = t.account_id
WHERE i.id = $1
"""
_CHANNELS = """
SELECT c.id, c.kind, c.config, c.secrets FROM notification_channels c
JOIN channel_monitors cm ON cm.channel_id = c.id
WHERE cm.monitor_id = $1 AND c.enabled ORDER BY c.id
"""
# A window of the monitor itself, or of a status page that shows it.
_WINDOWS = """
SELECT starts_at, ends_at FROM maintenance_windows
WHERE ends_at > $2 AND starts_at <= $2 AND (monitor_id = $1 OR status_page_id IN (
    SELECT page_id FROM status_page_monitors WHERE monitor_id = $1))
"""
_TOLD = """
SELECT DISTINCT channel_id FROM notification_deliveries
WHERE incident_id = $1 AND event_kind = any($2::text[]) AND state <> 'failed'
"""
_REGISTER = """
INSERT INTO notification_deliveries
    (idempotency_key, account_id, channel_id, channel_kind, event_kind, incident_id, state)
VALUES ($1, $2, $3, $4, $5, $6, 'waiting')
ON CONFLICT (idempotency_key) DO NOTHING
"""


def event_key(event: IncidentEvent, message_id: str | None) -> str:
    return delivery_keys.incident(
        event.cell, event.incident_id, event.kind, event.state, message_id
    )


def event_time(event: IncidentEvent) -> datetime:
    """When it happened, for the maintenance check: a late event is judged by its time (an
    update or a reminder happens now)."""
    ms = event.resolved_at_ms or (
        None
        if event.kind in ("changed", "reminder")
        else event.confirmed_at_ms or event.started_at_ms
    )
    return datetime.now(UTC) if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def notification(event: IncidentEvent, key: str, row: Any) -> Notification:
    evidence = row["evidence"]
    if isinstance(evidence, str):
        evidence = json.loads(evidence)
    regions = tuple(
        RegionEvidence(
            str(region)[:64],
            (found[-1].get("status") or "down")
            if found[-1].get("status") in ("down", "up", "degraded")
            else "down",
            str(found[-1].get("error_kind") or found[-1].get("error") or ""),
        )
        for region, found in sorted((evidence or {}).items())
        if found
    )
    return Notification(
        kind=KINDS[event.kind],
        key=key,
        monitor=row["monitor"],
        target=target_of(row["config"]),
        regions=regions,
        started_at=row["started_at"],
        resolved_at=row["resolved_at"],
        incident_id=event.incident_id,
        language=known_language(row["language"]),
        note=f"now {event.state}: {row['cause']}" if event.kind == "changed" else "",
        extra={"state": event.state, "cause": row["cause"], "cell": event.cell},
    )


class FanOut:
    def __init__(self, settings: Settings, pool: asyncpg.Pool, publish: Publish) -> None:
        self.settings = settings
        self.pool = pool
        self.publish = publish  # to the cell's deliveries queue, confirmed by the broker

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        event = await amqp.decode_or_dead_letter(message, decode_event, "notification event")
        if event is None:
            EVENTS.labels("dead_lettered").inc()
            return
        try:
            await self.handle(event, message.message_id)
        except (asyncpg.PostgresError, OSError, AMQPError, TimeoutError) as exc:
            # Database or broker away: the event comes back; its deliveries' keys make the
            # second pass send nothing twice.
            EVENTS.labels("requeued").inc()
            log.warning("event requeued", extra={**_about(event), "error": str(exc)})
            await asyncio.sleep(DB_RETRY_S)
            with contextlib.suppress(AMQPError, RuntimeError):
                await message.nack(requeue=True)
            return
        except Exception:  # a bug: set the event aside for an operator, never a hot loop
            EVENTS.labels("dead_lettered").inc()
            log.exception("event dead-lettered", extra=_about(event))
            await message.reject(requeue=False)
            return
        await message.ack()

    async def handle(
        self, event: IncidentEvent | CertEvent | PageEvent, message_id: str | None
    ) -> str:
        """Returns fanned | muted | unknown (the incident, or its test, is gone)."""
        if isinstance(event, CertEvent):
            what, (deliveries, muted) = "certificate", await self.plan_cert(event)
        elif isinstance(event, PageEvent):
            async with self.pool.acquire() as conn:
                what, deliveries, muted = (
                    "page",
                    await page_notices.plan(conn, self.settings, event),
                    False,
                )
        else:
            what, (deliveries, muted) = "incident", await self.plan(event, message_id)
        if deliveries is None:
            EVENTS.labels("unknown").inc()
            return "unknown"
        for start in range(0, len(deliveries), PUBLISH_AT_ONCE):
            chunk = deliveries[start : start + PUBLISH_AT_ONCE]
            await asyncio.gather(*(self.publish(encode_delivery(d)) for d in chunk))
            for d in chunk:
                FANNED.labels(d.channel_kind).inc()
        if muted:
            EVENTS.labels("muted").inc()
            log.info(f"{what} event muted by maintenance", extra=_about(event))
            return "muted"
        EVENTS.labels("fanned").inc()
        log.info(f"{what} event fanned out", extra={**_about(event), "deliveries": len(deliveries)})
        return "fanned"

    async def plan(
        self, event: IncidentEvent, message_id: str | None
    ) -> tuple[list[Delivery] | None, bool]:
        """The deliveries of an event (registered in the ledger) and whether it is muted."""
        key = event_key(event, message_id)
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(_INCIDENT, event.incident_id)
            if row is None:
                return None, False
            if event.kind == "reminder" and (row["resolved_at"] or row["acknowledged_at"]):
                return [], False  # ended or acknowledged since the reminder was decided
            muted = await self.muted(conn, row["monitor_id"], event_time(event))
            told = {r["channel_id"] for r in await conn.fetch(_TOLD, event.incident_id, list(TOLD))}
            n = notification(event, key, row)
            deliveries = await self.register(conn, n, row, muted, told)
            return deliveries + await subscribers.plan(
                conn, self.settings, n, row["account_id"], row["monitor_id"], muted
            ), muted

    async def plan_cert(self, event: CertEvent) -> tuple[list[Delivery] | None, bool]:
        """The deliveries of a certificate event (registered in the ledger), and whether a
        maintenance window mutes it; None when the test is gone."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(certs.TEST, event.test_id)
            if row is None:
                return None, False
            muted = await self.muted(conn, row["monitor_id"], certs.checked_at(event))
            n = certs.notification(event, row)
            return await self.register(conn, n, row, muted, set()), muted

    async def muted(self, conn: asyncpg.Connection, monitor_id: int, at: datetime) -> bool:
        """Whether a maintenance window covers the monitor at `at`."""
        windows = [
            noise.MaintenanceWindow(w["starts_at"], w["ends_at"], frozenset({monitor_id}))
            for w in await conn.fetch(_WINDOWS, monitor_id, at)
        ]
        return noise.in_maintenance(windows, monitor_id, at)

    async def register(
        self, conn: asyncpg.Connection, n: Notification, row: Any, muted: bool, told: set[int]
    ) -> list[Delivery]:
        """One delivery per channel of the monitor that should hear of `n`, registered in the
        ledger as waiting (`row` names the monitor and the account)."""
        out = []
        for channel in await conn.fetch(_CHANNELS, row["monitor_id"]):
            if not noise.should_notify(n.kind, muted=muted, told_of_incident=channel["id"] in told):
                continue
            d = self._delivery(n, row["account_id"], channel)
            if d is None:
                continue
            await conn.execute(
                _REGISTER, d.key, d.account_id, d.channel_id, d.channel_kind, n.kind, n.incident_id
            )
            out.append(d)
        return out

    def _delivery(self, n: Notification, account_id: int, channel: Any) -> Delivery | None:
        """The channel's whole config (clear part and secrets) sealed for the trip."""
        config = channel["config"]
        if isinstance(config, str):
            config = json.loads(config)
        try:
            secret = (
                decrypt_json(self.settings.secret_key, channel["secrets"])
                if channel["secrets"]
                else {}
            )
        except SecretError:
            log.error(
                "channel secrets cannot be opened with this VIGIL_SECRET_KEY",
                extra={"channel": channel["id"]},
            )
            return None
        return Delivery(
            key=delivery_keys.for_channel(n.key, channel["id"]),
            channel_kind=channel["kind"],
            notification=n,
            channel_id=channel["id"],
            account_id=account_id,
            sealed_config=encrypt_json(self.settings.secret_key, {**config, **secret}),
        )


def _about(event: IncidentEvent | CertEvent | PageEvent) -> dict[str, Any]:
    """What a log line says of an event."""
    if isinstance(event, PageEvent):
        return {"ref": event.ref_id, "kind": event.kind}
    if isinstance(event, CertEvent):
        return {"test": event.test_id, "kind": "cert_expiring", "expires": event.expires_on}
    return {"incident": event.incident_id, "kind": event.kind}
