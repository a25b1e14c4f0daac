"""Turn the API's monitor list into the rows the dashboard shows, refusing wrong shapes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from frontend.api_client import BadResponse
from frontend.kinds import target_text

STATUSES = ("up", "down", "degraded", "misconfigured", "pending")


@dataclass(frozen=True)
class MonitorRow:
    """One line of the dashboard table."""

    id: str
    name: str
    status: str  # one of STATUSES, or "unknown" for a status this frontend does not know yet
    url: str | None
    targets: tuple[tuple[str, str], ...]  # (kind, target) of every test
    latency_ms: float | None
    checked_at: datetime | None
    error: str | None
    tags: tuple[str, ...] = ()
    paused: bool = False  # every test paused


@dataclass(frozen=True)
class MonitorPage:
    rows: list[MonitorRow]
    truncated: bool  # the API has more monitors than one page
    next: str | None = None  # the API's cursor of the next page
    counts: dict[str, int] | None = None  # monitors by status, over the filters but status

    @property
    def total(self) -> int:
        return sum((self.counts or {}).values())


def parse_page(body: dict[str, Any]) -> MonitorPage:
    items = body.get("items")
    if not isinstance(items, list):
        raise BadResponse("monitors: 'items' is not a list")
    nxt = body.get("next")
    if nxt is not None and not isinstance(nxt, str):
        raise BadResponse("monitors: 'next' is neither null nor a string")
    return MonitorPage(
        [parse_monitor(item) for item in items],
        truncated=nxt is not None,
        next=nxt,
        counts=_counts(body.get("counts")),
    )


def _counts(raw: Any) -> dict[str, int] | None:
    if raw is None:  # an API from before the counts
        return None
    if not isinstance(raw, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in raw.values()
    ):
        raise BadResponse("monitors: 'counts' is not a map of counts")
    return {status: int(raw.get(status, 0)) for status in STATUSES}


def parse_monitor(raw: Any) -> MonitorRow:
    monitor = _obj(raw, "monitor")
    mid = monitor.get("id")
    if not isinstance(mid, str | int) or isinstance(mid, bool):
        raise BadResponse("monitor.id is missing")
    status = _str(monitor, "status", "monitor")
    tests = monitor.get("tests")
    if not isinstance(tests, list):
        raise BadResponse("monitor.tests is not a list")
    tests = [_obj(t, "test") for t in tests]
    states = [_state(t) for t in tests]
    checked = [s for s in states if s is not None]
    # A monitor checked from several regions shows its most recent result.
    latest = max(checked, key=lambda s: s["checked_at"], default=None)
    failing = [s for s in checked if s["error"]]
    error = max(failing, key=lambda s: s["checked_at"])["error"] if failing else None
    return MonitorRow(
        id=str(mid),
        name=_str(monitor, "name", "monitor"),
        status=status if status in STATUSES else "unknown",
        url=_url(tests[0]) if tests else None,
        targets=tuple((_kind(t), target_text(t)) for t in tests),
        latency_ms=latest["latency_ms"] if latest else None,
        checked_at=latest["checked_at"] if latest else None,
        error=error if status in ("down", "degraded", "misconfigured") else None,
        tags=_tags(monitor.get("tags", [])),
        paused=bool(tests) and not any(t.get("enabled", True) for t in tests),
    )


def _tags(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(tag, str) for tag in raw):
        raise BadResponse("monitor.tags is not a list of strings")
    return tuple(raw)


def _kind(test: dict[str, Any]) -> str:
    kind = test.get("kind")
    if not isinstance(kind, str):
        raise BadResponse("test.kind is not a string")
    return kind


def _url(test: dict[str, Any]) -> str | None:
    config = _obj(test.get("config"), "test.config")
    url = config.get("url")
    if url is not None and not isinstance(url, str):
        raise BadResponse("test.config.url is not a string")
    return url


def _state(test: dict[str, Any]) -> dict[str, Any] | None:
    raw = test.get("state")
    if raw is None:
        return None
    state = _obj(raw, "test.state")
    latency = state.get("latency_ms")
    if latency is not None and (isinstance(latency, bool) or not isinstance(latency, int | float)):
        raise BadResponse("test.state.latency_ms is not a number")
    return {
        "checked_at": _when(state.get("checked_at")),
        "latency_ms": float(latency) if latency is not None else None,
        "error": _error_text(state),
    }


def _error_text(state: dict[str, Any]) -> str | None:
    """The executor's message, else the HTTP status, else the kind of error."""
    for key in ("error", "error_kind"):
        value = state.get(key)
        if value is not None and not isinstance(value, str):
            raise BadResponse(f"test.state.{key} is not a string")
    http_status = state.get("http_status")
    if state.get("error"):
        return str(state["error"])
    if isinstance(http_status, int) and not isinstance(http_status, bool) and http_status >= 400:
        return f"HTTP {http_status}"
    return state.get("error_kind") or None


def _when(raw: Any) -> datetime:
    if not isinstance(raw, str):
        raise BadResponse("test.state.checked_at is not a string")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise BadResponse(f"test.state.checked_at={raw!r} is not ISO 8601") from None
    if value.tzinfo is None:
        raise BadResponse(f"test.state.checked_at={raw!r} has no timezone")
    return value


def _obj(raw: Any, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise BadResponse(f"{what} is not a JSON object")
    return raw


def _str(obj: dict[str, Any], key: str, what: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise BadResponse(f"{what}.{key} is not a string")
    return value
