"""Locale-aware text for the dashboard: status labels, latencies, "x seconds ago"."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask_babel import (
    format_datetime,
    format_decimal,
    format_percent,
    format_timedelta,
    get_timezone,
)
from flask_babel import gettext as _


def moment(raw: object) -> datetime | None:
    """An API timestamp (ISO 8601 with its offset) as a datetime; None for anything else."""
    if not isinstance(raw, str):
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def status_label(status: str) -> str:
    # Looked up at render time so the label follows the request's locale.
    labels = {
        "up": _("Up"),
        "down": _("Down"),
        "degraded": _("Degraded"),
        "pending": _("Pending"),
        # the executor refused the test's configuration: it cannot run (not an outage)
        "misconfigured": _("Misconfigured"),
        "maintenance": _("Maintenance"),
        # a heartbeat test's own states
        "new": _("New"),
        "late": _("Late"),
        "paused": _("Paused"),
    }
    return labels.get(status, _("Unknown"))


def latency(ms: float | None) -> str:
    if ms is None:
        return "—"
    # Below 10 ms a decimal still tells something; above it, it is noise.
    pattern = "#,##0.#" if ms < 10 else "#,##0"
    return _("%(value)s ms", value=format_decimal(ms, format=pattern))


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """How long ago, e.g. "12 seconds ago"; a check stamped slightly ahead counts as now."""
    if when is None:
        return _("Never")
    delta = when - (now or datetime.now(UTC))
    if delta.total_seconds() > -1:
        return _("just now")
    return format_timedelta(delta, add_direction=True)


def absolute(when: datetime | None) -> str:
    """The moment in full, naming the zone it is shown in (UTC unless configured)."""
    if when is None:
        return ""
    return f"{format_datetime(when, 'medium')} {get_timezone()}"


def percent(fraction: float | None) -> str:
    """An uptime such as 0.99951 as "99.95 %" in the locale's way; a dash without data."""
    if fraction is None:
        return "—"
    return format_percent(fraction, "#,##0.##%")


def number(value: object) -> str:
    """A count or rate in the locale's way; a dash for no value (or one that is no number)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "—"
    return format_decimal(value, format="#,##0.##")


def window_label(window: str) -> str:
    labels = {"24h": _("24 hours"), "7d": _("7 days"), "30d": _("30 days"), "90d": _("90 days")}
    return labels.get(window, window)


def ping_label(kind: str) -> str:
    """What a heartbeat's ping said."""
    labels = {"success": _("Success"), "start": _("Start"), "fail": _("Failure"), "log": _("Log")}
    return labels.get(kind, kind)


def register(app: Flask) -> None:
    """Make the helpers available to every template."""
    app.jinja_env.globals.update(
        status_label=status_label,
        latency=latency,
        ago=ago,
        absolute=absolute,
        percent=percent,
        window_label=window_label,
        number=number,
        ping_label=ping_label,
    )
