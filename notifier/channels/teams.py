"""Microsoft Teams, through a Workflows (or connector) webhook: an Adaptive Card."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notifier.channels.base import Context, need
from notifier.message import Notification
from notifier.render import SEVERITY, render

_STYLE = {"critical": "Attention", "warning": "Warning", "info": "Good"}


def payload(n: Notification) -> dict[str, Any]:
    r = render(n)
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": r.headline,
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
                "color": _STYLE[SEVERITY[n.kind]],
            },
            {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in r.rows]},
        ],
    }
    if r.url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": r.link_label, "url": r.url}]
    return {
        "type": "message",
        "summary": r.subject,
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


async def send(notification: Notification, config: Mapping[str, Any], ctx: Context) -> str:
    return await ctx.http.post_json(need(config, "url"), payload(notification))
