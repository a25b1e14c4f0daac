"""The registry of channel kinds: kind -> module exposing `send` (see `base.py`).

A new channel is one module here and one line below; the delivery engine never branches on
the kind. Modules are imported on first use, so an unused channel costs nothing.
"""

from __future__ import annotations

import importlib

from notifier.channels.base import Send
from notifier.errors import DeliveryError

REGISTRY: dict[str, str] = {
    "email": "notifier.channels.email",
    "webhook": "notifier.channels.webhook",
    "slack": "notifier.channels.slack",
    "teams": "notifier.channels.teams",
    "discord": "notifier.channels.discord",
    "telegram": "notifier.channels.telegram",
    "mattermost": "notifier.channels.mattermost",
    "pagerduty": "notifier.channels.pagerduty",
    "hook": "notifier.channels.hook",
}

_loaded: dict[str, Send] = {}


def get(kind: str) -> Send:
    """The channel's `send`; an unknown kind is a permanent delivery error."""
    if kind not in _loaded:
        if kind not in REGISTRY:
            raise DeliveryError(f"no channel of kind {kind!r}", permanent=True)
        _loaded[kind] = importlib.import_module(REGISTRY[kind]).send
    return _loaded[kind]
