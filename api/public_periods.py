"""Pure: a public page's figures per period (uptime, mean response time) and SLA verdicts.

A period of N days is N UTC calendar days, today included, as the page's bars are (and
as the badges always were): "24h" is today so far, "7d" today and the six days before it.
A page shows the periods up to its own length of history (a 30-day page has no 90d or
365d figure). Uptimes are weighted by checks: (checks - failures) / checks over the period,
not a mean of daily figures, so a quiet day counts as little as it was checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

PERIODS = {"24h": 1, "7d": 7, "30d": 30, "90d": 90, "365d": 365}
Sums = tuple[int, int, int, float]  # checks, failures, latency count, latency sum
Day = tuple[int, int, int, int, float]  # checks, failures, degraded, latency count and sum
ZERO: Sums = (0, 0, 0, 0.0)


def periods_of(days: int) -> dict[str, int]:
    """The periods a page of `days` bars shows."""
    return {name: n for name, n in PERIODS.items() if n <= days}


def add(a: Sums, day: Day | None) -> Sums:
    if day is None:
        return a
    return (a[0] + day[0], a[1] + day[1], a[2] + day[3], a[3] + day[4])


def closed_sums(closed: Sequence[Day | None], days: int) -> dict[str, Sums]:
    """Per period, the sums of its closed days (all but today), from the closed days of a
    page of `days` bars, oldest first. Built once per history, so a refresh adds today only."""
    out = {}
    for name, n in periods_of(days).items():
        total = ZERO
        for day in closed[len(closed) - (n - 1) :] if n > 1 else ():
            total = add(total, day)
        out[name] = total
    return out


def figures(closed: dict[str, Sums], today: Day | None) -> dict[str, dict[str, Any]]:
    """Per period: uptime (0..1, 5 decimals), mean response time in ms, checks; None
    where the period had no check (or no timed one)."""
    out = {}
    for name, sums in closed.items():
        checks, failures, timed, latency = add(sums, today)
        out[name] = {
            "uptime": round((checks - failures) / checks, 5) if checks else None,
            "response_ms": round(latency / timed, 1) if timed else None,
            "checks": checks,
        }
    return out


def sla(target: float | None, figure: dict[str, Any] | None) -> dict[str, Any] | None:
    """The SLA verdict of an uptime figure against a target in percent; None without a
    target. `met` is None while the period has no check: nothing is known yet."""
    if target is None:
        return None
    uptime = figure["uptime"] if figure else None
    met = None if uptime is None else round(uptime * 100, 3) >= target
    return {"target": target, "uptime": uptime, "met": met}
