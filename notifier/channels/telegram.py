"""Telegram, through the Bot API's sendMessage: HTML text to a chat.

The API's address is the operator's (VIGIL_TELEGRAM_API_URL), so an account can choose its
bot and chat but not where its token is sent.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from notifier.channels.base import Context, need
from notifier.errors import DeliveryError
from notifier.message import Notification
from notifier.render import render

_TOKEN = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$")


def text(n: Notification) -> str:
    r = render(n)
    lines = [f"<b>{html.escape(r.headline)}</b>", ""]
    lines += [f"<b>{html.escape(k)}</b>: {html.escape(v)}" for k, v in r.rows]
    if r.url:
        lines += ["", f'<a href="{html.escape(r.url, quote=True)}">{html.escape(r.link_label)}</a>']
    return "\n".join(lines)[:4096]


async def send(notification: Notification, config: Mapping[str, Any], ctx: Context) -> str:
    token = need(config, "token")
    if not _TOKEN.match(token):
        raise DeliveryError("config.token: not a Telegram bot token", permanent=True)
    chat = config.get("chat_id")
    if not isinstance(chat, int | str) or isinstance(chat, bool) or chat == "":
        raise DeliveryError("config.chat_id: missing", permanent=True)
    url = f"{ctx.telegram_api_url}/bot{token}/sendMessage"
    return await ctx.http.post_json(
        url,
        {
            "chat_id": chat,
            "text": text(notification),
            "parse_mode": "HTML",
            "disable_web_page_preview": True,
        },
    )
