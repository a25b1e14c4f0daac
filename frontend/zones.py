"""Which time zone a request's times are shown and entered in.

The account's zone (`time_zone` of /auth/me, put in the session at log-in unless it is
the default) or the zone the user last chose in a form (kept in the session), else the
browser's own zone (static/timezone.js reports it in a cookie), else UTC. flask-babel
formats every time in it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from urllib.parse import unquote
from zoneinfo import ZoneInfo, available_timezones

import pytz
from flask import request, session

SESSION_KEY = "tz"
COOKIE = "vigil_tz"
DEFAULT = "UTC"
# Real places only: not the legacy aliases (US/Eastern, EST5EDT) nor the Etc/GMT+n zones.
AREAS = {
    "Africa",
    "America",
    "Antarctica",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
}


@cache
def names() -> tuple[str, ...]:
    """The zones offered, known both to zoneinfo (input) and pytz (flask-babel's output)."""
    known = available_timezones() & set(pytz.all_timezones)
    return (DEFAULT, *sorted(z for z in known if z.split("/")[0] in AREAS))


def valid(name: object) -> str | None:
    return name if isinstance(name, str) and name in names() else None


def select_timezone() -> str:
    """The chosen zone > the browser's > UTC (flask-babel's timezone selector)."""
    browser = unquote(request.cookies.get(COOKIE, ""))  # the script URL-encodes the "/"
    return valid(session.get(SESSION_KEY)) or valid(browser) or DEFAULT


def remember(name: str) -> None:
    session[SESSION_KEY] = name


def to_utc(local: str, zone: str) -> datetime:
    """A datetime-local value ("2026-07-01T10:00") read in the zone, as a UTC moment.

    A time skipped by a daylight-saving change is read with the offset before it, as
    zoneinfo does (fold=0); ValueError for text that is no date and time."""
    value = datetime.fromisoformat(local)
    if value.tzinfo is not None:
        raise ValueError("a local time carries no offset")
    return value.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
