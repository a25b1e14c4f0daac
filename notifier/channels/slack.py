"""Slack, through an incoming webhook: Block Kit with a plain-text fallback."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notifier.channels.base import Context, need
from notifier.message import Notification
from notifier.render import Rendered, render


def escape(text: str) -> str:
    """Slack's mrkdwn treats &, < and > as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(r: Rendered) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": r.headline[:150]}}
    ]
    if r.rows:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{escape(k)}*\n{escape(v)}"[:2000]}
                    for k, v in r.rows[:10]
                ],
            }
        )
    if r.url:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"<{r.url}|{escape(r.link_label)}>"},
            }
        )
    return {"text": r.subject, "blocks": blocks}


async def send(notification: Notification, config: Mapping[str, Any], ctx: Context) -> str:
    return await ctx.http.post_json(need(config, "url"), payload(render(notification)))
