"""A stored result's extras (a flat map from the executor) as the API shows them.

The processor stores the timings and certificate days in real columns and the rest of the
map as JSON (`shared.tables`); `merged` puts them back together, as the executor sent them.
The map is the executor's, and older executors or other kinds may send other figures or
none: every pick is checked for its type, and anything unexpected is simply not picked
(it still shows, as it is, in `extras`).
"""

from __future__ import annotations

from typing import Any

from api.schemas import TimingsOut
from shared.messages import CERT_DAYS, CHECK_NOW_EXTRA, TIMING_EXTRAS

TIMINGS = TIMING_EXTRAS
# The columns as real (24 bits) read back rounded to what the executor sends:
# 0.001 ms, 0.01 day.
COLUMNS = {**{name: 3 for name in TIMING_EXTRAS}, CERT_DAYS: 2}


def merged(row: Any) -> dict[str, Any] | None:
    """The extras of a result row (with the COLUMNS and `extras`): the JSON rest with the
    columns that are not NULL put back in."""
    extras = row.extras
    found = {
        name: round(value, digits)
        for name, digits in COLUMNS.items()
        if (value := getattr(row, name)) is not None
    }
    if not found:
        return extras
    return {**extras, **found} if isinstance(extras, dict) else found


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def shaped(extras: Any) -> dict[str, Any]:
    """The ResultOut fields drawn from extras (None or a map)."""
    if not isinstance(extras, dict):
        return {"extras": {}}
    timings = {k: _number(extras.get(k)) for k in TIMINGS}
    attempts = extras.get("attempts")
    return {
        "timings": TimingsOut(**timings) if any(v is not None for v in timings.values()) else None,
        "cert_days": _number(extras.get("cert_days")),
        "attempts": attempts
        if isinstance(attempts, int) and not isinstance(attempts, bool)
        else None,
        "first_error": _text(extras.get("first_error")),
        "check_now_for": _text(extras.get(CHECK_NOW_EXTRA)),
        "extras": extras,
    }
