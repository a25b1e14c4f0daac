"""PagerDuty Events API v2: trigger on trouble, resolve when it ends, one dedup_key apiece.

Every event of one incident carries the same dedup_key, so PagerDuty keeps one alert that
updates, reminds and finally resolves, however often Vigil speaks of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notifier.channels.base import Context, need
from notifier.message import Notification
from notifier.render import SEVERITY, render


def dedup_key(n: Notification) -> str:
    if n.kind == "cert_expiring" or n.incident_id is None:
        return f"vigil-{n.kind}-{n.key}"[:255]
    return f"vigil-incident-{n.incident_id}"


def event(n: Notification, routing_key: str) -> dict[str, Any]:
    base = {"routing_key": routing_key, "dedup_key": dedup_key(n)}
    if n.kind == "resolved":
        return {**base, "event_action": "resolve"}
    r = render(n)
    body: dict[str, Any] = {
        **base,
        "event_action": "trigger",
        "client": "Vigil",
        "payload": {
            "summary": r.headline[:1024],
            "source": n.target or n.monitor,
            "component": n.monitor,
            "severity": SEVERITY[n.kind],
            "custom_details": dict(r.rows),
        },
    }
    if n.started_at:
        body["payload"]["timestamp"] = n.started_at.isoformat()
    if r.url:
        body["client_url"] = r.url
        body["links"] = [{"href": r.url, "text": r.link_label}]
    return body


async def send(notification: Notification, config: Mapping[str, Any], ctx: Context) -> str:
    routing_key = need(config, "routing_key")
    return await ctx.http.post_json(ctx.pagerduty_events_url, event(notification, routing_key))
