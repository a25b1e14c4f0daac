"""The one interface every channel implements, and what a channel is handed to do its work.

A channel is a module with `async def send(notification, config, ctx) -> str | None`: it
delivers or raises `DeliveryError`, saying whether trying again can help (healthchecks'
`permanent`). What it returns is a short note for the attempt record ("HTTP 200", a hook's
exit code and output). `config` is the channel's own settings (decrypted), `ctx` what the
operator configured for every channel.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from notifier.errors import DeliveryError
from notifier.message import Notification

if TYPE_CHECKING:
    from notifier.hooks import HookRunner
    from notifier.http import HttpClient


@dataclass(frozen=True)
class Context:
    """What the operator configured, shared by every delivery."""

    http: HttpClient
    hooks: HookRunner
    allow_private: bool
    timeout_s: float
    smtp_url: str = ""
    smtp_from: str = "vigil@localhost"
    telegram_api_url: str = "https://api.telegram.org"
    pagerduty_events_url: str = "https://events.pagerduty.com/v2/enqueue"


class Send(Protocol):
    def __call__(
        self, notification: Notification, config: Mapping[str, Any], ctx: Context
    ) -> Awaitable[str | None]: ...


def need(config: Mapping[str, Any], key: str, kind: type = str) -> Any:
    """A required config field; its absence is a permanent error naming it."""
    value = config.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool or value == "":
        raise DeliveryError(f"config.{key}: missing or not a {kind.__name__}", permanent=True)
    return value


def optional(config: Mapping[str, Any], key: str, kind: type, default: Any) -> Any:
    value = config.get(key, default)
    if value is None:
        return default
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise DeliveryError(f"config.{key}: not a {kind.__name__}", permanent=True)
    return value
