"""The status page subscribers an incident event is told to, beside the account's channels.

A subscriber hears of a monitor when it confirmed its address (or is a webhook the owner
added), a page it subscribes to shows the monitor, and its subscription covers it (the whole
page, the monitor, or the monitor's group on that page). It is told an incident opened,
changed and resolved, in the page's language, with what the page shows and nothing more:
the monitor's name and the page's link, never the target, the regions' evidence or the
cause. The rules of `noise.should_notify` hold as for channels (no reminders; "resolved"
only to those told of the opening), and each delivery goes through the email or webhook
channel and the ledger like any other, keyed by event and subscriber: sent once each.
The owner's own news (manual incidents, maintenance) reach them the same way:
`notifier.page_notices`.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from notifier import noise
from notifier.delivery import Delivery
from notifier.message import Notification, known_language
from shared import subscriptions as tokens
from shared.config import Settings
from shared.delivery_keys import for_channel as delivery_key
from shared.secrets import SecretError, decrypt_json, encrypt_json

# Confirmed subscribers of every page showing the monitor whose scope covers it; a
# subscriber of two such pages hears once per page (each mail links its own page).
SUBSCRIBERS = """
SELECT s.id, s.kind, s.address, s.secrets, s.language, p.slug, p.title
FROM status_subscribers s
JOIN status_page_monitors spm ON spm.page_id = s.page_id AND spm.monitor_id = $1
JOIN status_pages p ON p.id = s.page_id
WHERE s.confirmed_at IS NOT NULL
  AND ((jsonb_typeof(s.monitor_ids) IS DISTINCT FROM 'array'
        AND jsonb_typeof(s.groups) IS DISTINCT FROM 'array')
       OR s.monitor_ids @> jsonb_build_array($1::bigint)
       OR s.groups @> jsonb_build_array(spm.group_name))
ORDER BY s.id
"""
_TOLD = """
SELECT DISTINCT subscriber_id FROM notification_deliveries
WHERE incident_id = $1 AND subscriber_id IS NOT NULL AND event_kind = any($2::text[])
  AND state <> 'failed'
"""
REGISTER = """
INSERT INTO notification_deliveries
    (idempotency_key, account_id, channel_kind, event_kind, incident_id, subscriber_id, state)
VALUES ($1, $2, $3, $4, $5, $6, 'waiting')
ON CONFLICT (idempotency_key) DO NOTHING
"""
TOLD = ("opened", "confirmed", "updated")
HEARD = ("opened", "updated", "resolved")  # what subscribers are told; reminders are not


async def plan(
    conn: asyncpg.Connection,
    settings: Settings,
    n: Notification,
    account_id: int,
    monitor_id: int,
    muted: bool,
) -> list[Delivery]:
    """The subscribers' deliveries of `n`, registered in the ledger as waiting."""
    if n.kind not in HEARD or n.incident_id is None:
        return []
    told = {r["subscriber_id"] for r in await conn.fetch(_TOLD, n.incident_id, list(TOLD))}
    out, rows = [], []
    for s in await conn.fetch(SUBSCRIBERS, monitor_id):
        if not noise.should_notify(n.kind, muted=muted, told_of_incident=s["id"] in told):
            continue
        d = delivery_for(settings, public(n, s, settings.public_url), account_id, s)
        if d is not None:
            out.append(d)
            rows.append((d.key, account_id, d.channel_kind, n.kind, n.incident_id, s["id"]))
    await conn.executemany(REGISTER, rows)  # one round trip for thousands
    return out


def public(n: Notification, s: Any, public_url: str) -> Notification:
    """What the page's visitors may know of the event, in the page's language."""
    return Notification(
        kind=n.kind,
        key=n.key,
        monitor=n.monitor,
        started_at=n.started_at,
        resolved_at=n.resolved_at,
        incident_id=n.incident_id,
        language=known_language(s["language"]),
        url=f"{public_url}/s/{s['slug']}",
        extra={"status_page": s["slug"], "state": n.extra.get("state")},
    )


def delivery_for(settings: Settings, n: Notification, account_id: int, s: Any) -> Delivery | None:
    """Subscriber `s`'s delivery of `n`: its email (with the unsubscribe link) or webhook."""
    key = delivery_key(n.key, f"sub{s['id']}")
    if s["kind"] == "email":
        leave = tokens.link(
            settings.public_url,
            s["slug"],
            tokens.UNSUBSCRIBE,
            tokens.make(settings.secret_key, tokens.UNSUBSCRIBE, s["id"]),
        )
        config: dict[str, Any] = {"to": [s["address"]], "unsubscribe_url": leave}
    else:
        try:
            secret = decrypt_json(settings.secret_key, s["secrets"])["secret"]
        except (SecretError, TypeError, KeyError):
            return None  # sealed under another key: nothing this notifier can sign with
        config = {"url": s["address"], "secret": secret}
    return Delivery(
        key=key,
        channel_kind=s["kind"],
        notification=n,
        account_id=account_id,
        sealed_config=encrypt_json(settings.secret_key, config),
    )
