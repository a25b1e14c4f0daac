"""One monitor: its tests, uptime, response-time chart by region, recent results.

Stats and series come from endpoints a cell may not have yet; their 404 shows a
"not available" note, not an error page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from frontend import charts, heartbeat, kinds, shapes
from frontend.api_client import BadResponse, NotFound
from frontend.auth import login_required
from frontend.channels import alerting_for
from frontend.incidents import recent
from frontend.manage import call, get_monitor, private_page

bp = Blueprint("monitor_page", __name__)

RANGES = ("24h", "7d", "30d", "90d")
RESULTS = 20
PINGS = 20


def optional(path: str, **kwargs: Any) -> dict[str, Any] | None:
    """An answer, or None when this API does not offer the endpoint (or the thing) yet."""
    try:
        return call("GET", path, **kwargs)
    except NotFound:
        return None


@bp.get("/monitors/<int:mid>")
@login_required
def show(mid: int) -> ResponseReturnValue:
    monitor = get_monitor(mid)
    chosen = request.args.get("range", "24h")
    chosen = chosen if chosen in RANGES else "24h"
    tests = [t for t in monitor["tests"] if isinstance(t, dict)]
    stats = optional(f"/monitors/{mid}/stats")
    lines, series_missing = _lines(tests, chosen)
    chart = charts.latency_chart(lines, _("Response time"), _("ms")) if lines else None
    results = _results(tests)
    beats = [_beat(t) for t in tests if t.get("kind") == heartbeat.KIND]
    html = render_template(
        "monitor.html",
        monitor=monitor,
        mid=mid,
        tests=tests,
        ranges=RANGES,
        chosen=chosen,
        uptime=_uptime(stats),
        percentiles=_latency(stats),
        stats_missing=stats is None,
        chart=chart,
        series_missing=series_missing,
        results=results,
        incidents=recent({"monitor_id": mid, "limit": 10}),
        channels=alerting_for(mid),
        beats=beats,
        timings=_timings(results),
        target_text=kinds.target_text,
    )
    return private_page(html)


def _beat(test: dict[str, Any]) -> dict[str, Any]:
    """What the page shows of a heartbeat test: its URL and lines to paste, its schedule,
    its times and its last pings."""
    url = str(test.get("ping_url") or "")
    config = shapes.as_dict(test.get("config"))
    cron = config.get("cron") if isinstance(config.get("cron"), str) else None
    return {
        "test": test,
        "url": url,
        "examples": heartbeat.examples(url, cron),
        "schedule": heartbeat.schedule_words(test),
        "status": (test.get("heartbeat") or {}).get("status", "new"),
        "times": heartbeat.moments(test.get("heartbeat")),
        "pings": heartbeat.pings(
            optional(f"/tests/{test.get('id')}/pings", params={"limit": PINGS})
        ),
    }


def _lines(tests: list[dict[str, Any]], chosen: str) -> tuple[list[charts.Line], bool]:
    """One line per test and region (p50); missing=True when the API has no series."""
    lines: list[charts.Line] = []
    for test in tests:
        body = optional(f"/tests/{test.get('id')}/series", params={"range": chosen})
        if body is None:
            return [], True
        for series in body.get("series") or []:
            if not isinstance(series, dict):
                raise BadResponse("series is not an object")
            region = series.get("region") or _("all regions")
            if series.get("region") is None and len(body.get("series") or []) > 1:
                continue  # the per-region lines say it; the overall one would repeat them
            points = [
                (_when(p.get("at")), _num(p.get("p50_ms")))
                for p in series.get("points") or []
                if isinstance(p, dict)
            ]
            lines.append(charts.Line(f"{test.get('kind')} · {region}", points))
    return lines, False


def _uptime(stats: dict[str, Any] | None) -> list[tuple[str, float | None]]:
    if not stats:
        return []
    return [
        (w.get("window", ""), _num(w.get("uptime")))
        for w in stats.get("windows") or []
        if isinstance(w, dict)
    ]


def _latency(stats: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not stats:
        return []
    return [w for w in stats.get("latency") or [] if isinstance(w, dict)]


def _results(tests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest results of every test together, newest first."""
    rows: list[dict[str, Any]] = []
    for test in tests:
        body = optional(f"/tests/{test.get('id')}/results", params={"limit": RESULTS})
        for item in (body or {}).get("items") or []:
            if isinstance(item, dict):
                rows.append({**item, "at": _when(item.get("checked_at")), "kind": test.get("kind")})
    rows.sort(key=lambda r: r["at"], reverse=True)
    return rows[:RESULTS]


def _timings(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The recent HTTP results that say how long each phase took (DNS, connect, TLS, first
    byte), with their timings as numbers or None."""
    rows = []
    for r in results:
        timings = r.get("timings")
        if r.get("kind") == "http" and isinstance(timings, dict):
            phases = {
                k: _num(timings.get(k)) for k in ("dns_ms", "connect_ms", "tls_ms", "ttfb_ms")
            }
            rows.append({**r, "timings": phases, "latency_ms": _num(r.get("latency_ms"))})
    return rows


def _when(raw: Any) -> datetime:
    try:
        value = datetime.fromisoformat(str(raw))
    except ValueError:
        raise BadResponse(f"{raw!r} is not a time") from None
    if value.tzinfo is None:
        raise BadResponse(f"{raw!r} has no timezone")
    return value


def _num(raw: Any) -> float | None:
    return float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None
