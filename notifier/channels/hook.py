"""A hook program the operator registered, chosen by name (accounts never give a path)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notifier.channels.base import Context, need
from notifier.message import Notification


async def send(notification: Notification, config: Mapping[str, Any], ctx: Context) -> str:
    return await ctx.hooks.run(need(config, "name"), notification)
