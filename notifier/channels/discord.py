"""Discord, through a channel webhook: one embed, and no @mentions ever parsed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notifier.channels.base import Context, need
from notifier.message import Notification
from notifier.render import colour, render


def payload(n: Notification) -> dict[str, Any]:
    r = render(n)
    embed: dict[str, Any] = {
        "title": r.headline[:256],
        "color": colour(n),
        "fields": [
            {"name": k[:256], "value": v[:1024], "inline": len(v) < 40} for k, v in r.rows[:25]
        ],
    }
    if r.url:
        embed["url"] = r.url
    when = n.resolved_at or n.started_at
    if when:
        embed["timestamp"] = when.isoformat()
    # A monitor named "@everyone" must not ping a whole server.
    return {
        "username": "Vigil",
        "content": r.subject[:2000],
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    }


async def send(notification: Notification, config: Mapping[str, Any], ctx: Context) -> str:
    return await ctx.http.post_json(need(config, "url"), payload(notification))
