"""What a delivery attempt told, read from what the notifier stored: the one place that knows
its key formats and a hook's note, so no client parses them.

Delivery keys (`notifier.delivery.delivery_key`: the event's key, then `/<channel id>`):
  test/<channel>/<hex>/<channel>                        a test notification (api.notify)
  cert/<cell>/<test>/<expiry day>/<channel>             a certificate near expiry
  incident/<cell>/<incident>/opened|resolved/<channel>
  incident/<cell>/<incident>/changed/<state>/<message id>/<channel>
  incident/<cell>/<incident>/reminder/<n>/<channel>
A hook's note (`notifier.hooks`): "hook <name> exit <code>" then ": <output>" if it printed
any, as the detail (and, when it failed, the error too). Anything else is event "other" with
null fields: old rows, hand-made rows, a key cut at 200 characters.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from api.schemas import MAX_ID

Event = Literal["test", "cert_expiring", "incident_opened", "incident_changed",
                "incident_resolved", "incident_reminder", "other"]

_CELL = r"[a-z0-9][a-z0-9_-]{0,31}"  # shared.config's cell names
_ID = r"[0-9]{1,19}"
_TEST = re.compile(rf"test/{_ID}/[0-9a-f]{{1,64}}/{_ID}")
_CERT = re.compile(rf"cert/{_CELL}/(?P<test>{_ID})/[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}/{_ID}")
_INCIDENT = re.compile(
    rf"incident/{_CELL}/(?P<incident>{_ID})/(?:"
    rf"(?P<once>opened|resolved)/{_ID}"
    rf"|(?P<changed>changed)/[a-z]+/.*"  # the message id is the broker's: any text
    rf"|(?P<reminder>reminder)/[0-9]{{1,9}}/{_ID})", re.DOTALL)
_HOOK = re.compile(r"hook \S+ exit (?P<code>-?[0-9]{1,10})(?:: (?P<output>.*))?", re.DOTALL)
HOOK_KIND = "hook"


def _id(text: str) -> int | None:
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def key_fields(key: str) -> dict[str, Any]:
    """The event a delivery key names, with its incident and (certificates) test ids."""
    other: dict[str, Any] = {"event": "other", "incident_id": None, "test_id": None}
    if _TEST.fullmatch(key):
        return {**other, "event": "test"}
    if cert := _CERT.fullmatch(key):
        test_id = _id(cert["test"])
        return other if test_id is None else {**other, "event": "cert_expiring",
                                              "test_id": test_id}
    if (incident := _INCIDENT.fullmatch(key)) and (found := _id(incident["incident"])):
        what = incident["once"] or incident["changed"] or incident["reminder"]
        return {**other, "event": f"incident_{what}", "incident_id": found}
    return other


def hook_fields(channel_kind: str, error: str | None, detail: str | None) -> dict[str, Any]:
    """A hook's exit code and output (null both unless a hook ran to its exit: a timeout, a
    program that would not start, any other channel)."""
    if channel_kind == HOOK_KIND:
        for note in (detail, error):
            if note and (hook := _HOOK.fullmatch(note)):
                return {"exit_code": int(hook["code"]), "output": hook["output"] or ""}
    return {"exit_code": None, "output": None}


def fields(key: str, channel_kind: str, error: str | None, detail: str | None
           ) -> dict[str, Any]:
    """Every structured field of one attempt."""
    return {**key_fields(key), **hook_fields(channel_kind, error, detail)}
