"""Mattermost, through an incoming webhook: a message with a coloured attachment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notifier.channels.base import Context, need, optional
from notifier.message import Notification
from notifier.render import colour, render


def payload(n: Notification, username: str) -> dict[str, Any]:
    r = render(n)
    attachment: dict[str, Any] = {
        "fallback": r.text,
        "color": f"#{colour(n):06x}",
        "title": r.headline,
        "fields": [{"title": k, "value": v, "short": len(v) < 40} for k, v in r.rows],
    }
    if r.url:
        attachment["title_link"] = r.url
    return {"username": username, "text": f"#### {r.headline}", "attachments": [attachment]}


async def send(notification: Notification, config: Mapping[str, Any], ctx: Context) -> str:
    username = optional(config, "username", str, "Vigil")
    return await ctx.http.post_json(need(config, "url"), payload(notification, username))
