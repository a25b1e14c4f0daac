"""What a channel is told: the `Notification` of the delivery message, and the notifier's
helpers that fill one from its own rows.

`Notification`, `RegionEvidence` and the lists of kinds and languages are part of the delivery
contract and live once in `shared/delivery_message.py` (the API builds notifications too);
they are named here for the notifier's channels.
"""

from __future__ import annotations

import json
from typing import Any

from shared.delivery_message import (
    ACCOUNT_MAILS,
    EVENT_KINDS,
    LANGUAGES,
    MAX_TEXT,
    Notification,
    RegionEvidence,
)

__all__ = [
    "ACCOUNT_MAILS",
    "EVENT_KINDS",
    "LANGUAGES",
    "MAX_TEXT",
    "Notification",
    "RegionEvidence",
    "known_language",
    "target_of",
]


def target_of(config: Any) -> str:
    """What a test checks, from its config (a dict or JSON text): a URL for every kind."""
    if isinstance(config, str):
        config = json.loads(config)
    if not isinstance(config, dict):
        return ""
    return str(config.get("url") or config.get("host") or "")[:500]


def known_language(language: Any) -> str:
    return language if language in LANGUAGES else "en"
