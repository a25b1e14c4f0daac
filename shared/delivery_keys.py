"""The delivery keys: the idempotency key of one event told to one channel.

Built by the notifier (and by the API for a channel test), parsed by the API to say what an
attempt was about, matched by the notifier to ask "was this told to any channel yet". One
module builds and parses them, so the formats cannot drift apart (tests/shared round-trips them).

  test/<channel>/<hex>/<channel>                        a test notification
  cert/<cell>/<test>/<expiry day>/<channel>             a certificate near expiry
  incident/<cell>/<incident>/opened|resolved/<channel>
  incident/<cell>/<incident>/changed/<state>/<message id>/<channel>
  incident/<cell>/<incident>/reminder/<n>/<channel>
  manual/<cell>/<manual incident>/opened|resolved/sub<subscriber>
  manual/<cell>/<manual incident>/updated/<update>/sub<subscriber>
  maintenance/<cell>/<window>/<occurrence start, ms>/scheduled|started|ended/sub<subscriber>
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.names import NAME_PATTERN

MAX_KEY = 200  # the ledger's column; a longer key is cut (and then parses as "other")


def test(channel_id: int, nonce: str) -> str:
    return f"test/{channel_id}/{nonce}"


def cert(cell: str, test_id: int, expires_on: str) -> str:
    return f"cert/{cell}/{test_id}/{expires_on}"


def incident(
    cell: str, incident_id: int, kind: str, state: str = "", message_id: str | None = None
) -> str:
    """Opening and end happen once per incident; a severity change may repeat, so it is
    keyed by the outbox row that carried it (the message id, the same on a replay); a
    reminder by its number."""
    base = f"incident/{cell}/{incident_id}/{kind}"
    if kind == "changed":
        return f"{base}/{state}/{message_id or ''}"
    if kind == "reminder":
        return f"{base}/{message_id or ''}"
    return base


def page(
    cell: str, kind: str, ref_id: int, update_id: int | None = None, starts_at_ms: int | None = None
) -> str:
    """A status page event (`shared.messages.PageEvent`): a manual incident opens and ends
    once, each update is its own; a maintenance phase happens once per occurrence."""
    about, _, what = kind.partition("_")
    if about == "manual":
        return f"manual/{cell}/{ref_id}/{what}" + (f"/{update_id}" if what == "updated" else "")
    return f"maintenance/{cell}/{ref_id}/{starts_at_ms}/{what}"


def for_channel(event_key: str, channel: str | int) -> str:
    """One event told to one channel: the unit that is sent once."""
    return f"{event_key}/{channel}"[:MAX_KEY]


def any_channel_like(event_key: str) -> str:
    """A LIKE pattern matching the event told to any channel."""
    escaped = event_key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "/%"


@dataclass(frozen=True)
class Parsed:
    event: str  # test, cert_expiring, incident_<opened|resolved|changed|reminder>, other
    incident_id: int | None = None
    test_id: int | None = None


OTHER = Parsed("other")
_ID = r"[0-9]{1,19}"
_TEST = re.compile(rf"test/{_ID}/[0-9a-f]{{1,64}}/{_ID}")
_CERT = re.compile(rf"cert/{NAME_PATTERN}/(?P<test>{_ID})/[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}/{_ID}")
_INCIDENT = re.compile(
    rf"incident/{NAME_PATTERN}/(?P<incident>{_ID})/(?:"
    rf"(?P<once>opened|resolved)/{_ID}"
    rf"|(?P<changed>changed)/[a-z]+/.*"  # the message id is the broker's: any text
    rf"|(?P<reminder>reminder)/[0-9]{{1,9}}/{_ID})",
    re.DOTALL,
)


def parse(key: str) -> Parsed:
    """What a delivery key names; OTHER for anything else (old or hand-made rows, cut keys)."""
    if _TEST.fullmatch(key):
        return Parsed("test")
    if found := _CERT.fullmatch(key):
        return Parsed("cert_expiring", test_id=int(found["test"]))
    if found := _INCIDENT.fullmatch(key):
        what = found["once"] or found["changed"] or found["reminder"]
        return Parsed(f"incident_{what}", incident_id=int(found["incident"]))
    return OTHER
