"""The registry of channel kinds: kind -> module exposing `send` (see `base.py`).

A new channel is one module here and one line in shared/channel_kinds; the delivery engine
never branches on the kind. Modules are imported on first use, so an unused channel costs nothing.
"""

from __future__ import annotations

import importlib

from notifier.channels.base import Send
from notifier.errors import DeliveryError
from shared import channel_kinds

# Each kind of shared/channel_kinds is the module of its name here.
REGISTRY: dict[str, str] = {kind: f"notifier.channels.{kind}" for kind in channel_kinds.KINDS}

_loaded: dict[str, Send] = {}


def get(kind: str) -> Send:
    """The channel's `send`; an unknown kind is a permanent delivery error."""
    if kind not in _loaded:
        if kind not in REGISTRY:
            raise DeliveryError(f"no channel of kind {kind!r}", permanent=True)
        _loaded[kind] = importlib.import_module(REGISTRY[kind]).send
    return _loaded[kind]
