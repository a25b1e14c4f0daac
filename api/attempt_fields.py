"""What a delivery attempt told, read from what the notifier stored: the one place that knows
its key formats and a hook's note, so no client parses them.

Delivery keys are built and parsed by `shared.delivery_keys`.
A hook's note (`notifier.hooks`): "hook <name> exit <code>" then ": <output>" if it printed
any, as the detail (and, when it failed, the error too). Anything else is event "other" with
null fields: old rows, hand-made rows, a key cut at 200 characters.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from api.schemas import MAX_ID
from shared import delivery_keys

Event = Literal[
    "test",
    "cert_expiring",
    "incident_opened",
    "incident_changed",
    "incident_resolved",
    "incident_reminder",
    "other",
]

_HOOK = re.compile(r"hook \S+ exit (?P<code>-?[0-9]{1,10})(?:: (?P<output>.*))?", re.DOTALL)
HOOK_KIND = "hook"


def key_fields(key: str) -> dict[str, Any]:
    """The event a delivery key names, with its incident and (certificates) test ids."""
    parsed = delivery_keys.parse(key)
    ids = [i for i in (parsed.incident_id, parsed.test_id) if i is not None]
    if any(not 0 < i <= MAX_ID for i in ids):
        parsed = delivery_keys.OTHER  # an id no row can have: not a key the notifier wrote
    return {"event": parsed.event, "incident_id": parsed.incident_id, "test_id": parsed.test_id}


def hook_fields(channel_kind: str, error: str | None, detail: str | None) -> dict[str, Any]:
    """A hook's exit code and output (null both unless a hook ran to its exit: a timeout, a
    program that would not start, any other channel)."""
    if channel_kind == HOOK_KIND:
        for note in (detail, error):
            if note and (hook := _HOOK.fullmatch(note)):
                return {"exit_code": int(hook["code"]), "output": hook["output"] or ""}
    return {"exit_code": None, "output": None}


def fields(key: str, channel_kind: str, error: str | None, detail: str | None) -> dict[str, Any]:
    """Every structured field of one attempt."""
    return {**key_fields(key), **hook_fields(channel_kind, error, detail)}
