"""A public page's figures per monitor: uptime and mean response time per period, and the
SLA verdict, as the visitor's language writes them. The API computes them
(`api.public_periods`); this only checks their shapes and formats them."""

from __future__ import annotations

from typing import Any

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _

PERIODS = ("24h", "7d", "30d", "90d", "365d")


def _labels() -> dict[str, str]:
    return {
        "24h": _("24 hours"),
        "7d": _("7 days"),
        "30d": _("30 days"),
        "90d": _("90 days"),
        "365d": _("365 days"),
    }


def _number(raw: Any) -> float | None:
    return float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None


def percent(raw: Any) -> str | None:
    value = _number(raw)
    return None if value is None else format_percent(value, "#,##0.###%")


def figures(bar: dict[str, Any]) -> list[dict[str, str | None]]:
    """[{label, uptime, response}] for the periods the API sent, shortest first."""
    periods = bar.get("periods")
    if not isinstance(periods, dict):
        return []
    labels, out = _labels(), []
    for name in PERIODS:
        figure = periods.get(name)
        if not isinstance(figure, dict):
            continue
        response = _number(figure.get("response_ms"))
        out.append(
            {
                "label": labels[name],
                "uptime": percent(figure.get("uptime")) or "–",
                "response": None
                if response is None
                else _("%(ms)s ms", ms=format_decimal(round(response), "#,##0")),
            }
        )
    return out


def sla(bar: dict[str, Any], days: int) -> dict[str, str] | None:
    """The SLA line of a monitor: its state (met, missed, unknown) and its words."""
    verdict = bar.get("sla")
    if not isinstance(verdict, dict) or _number(verdict.get("target")) is None:
        return None
    target = format_decimal(verdict["target"], "#,##0.###") + "\u00a0%"
    uptime = percent(verdict.get("uptime"))
    met = verdict.get("met")
    if met is True and uptime:
        words = _(
            "SLA %(target)s: met, %(uptime)s over %(days)s days",
            target=target,
            uptime=uptime,
            days=days,
        )
    elif met is False and uptime:
        words = _(
            "SLA %(target)s: missed, %(uptime)s over %(days)s days",
            target=target,
            uptime=uptime,
            days=days,
        )
    else:
        return {"state": "unknown", "words": _("SLA %(target)s: no data yet", target=target)}
    return {"state": "met" if met else "missed", "words": words}
