"""The bounds of a test's interval and timeout: one rule for the API (`api.schemas`) and for
the files `vigil apply` checks before it sends anything (`ascode.validate`)."""

from __future__ import annotations

from shared import heartbeat

MAX_INTERVAL_S = 86400  # a check's; a heartbeat's period may be up to heartbeat.MAX_PERIOD_S
MAX_TIMEOUT_S = 60.0
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_INTERVAL_S = 60


def interval_error(kind: str, interval_s: int) -> str | None:
    """Why a check's interval is refused (None: it is not); a heartbeat's is its period."""
    if kind != heartbeat.KIND and interval_s > MAX_INTERVAL_S:
        return f"must be at most {MAX_INTERVAL_S} (a day) for a check"
    return None


def timeout_error(kind: str, interval_s: int, timeout_s: float) -> str | None:
    """A check must end before the next one starts."""
    if kind != heartbeat.KIND and timeout_s >= interval_s:
        return "must be shorter than interval_s"
    return None


def problems(test: dict[str, object]) -> list[str]:
    """`field: why` for a test body as a file gives it (the API's defaults where absent)."""
    kind, interval, timeout = test.get("kind"), test.get("interval_s"), test.get("timeout_s")
    if not isinstance(kind, str):
        return []
    interval_s = interval if isinstance(interval, int) else DEFAULT_INTERVAL_S
    out = []
    why = interval_error(kind, interval_s)
    if why:
        out.append(f"interval_s: {why}")
    if isinstance(timeout, int | float) and not isinstance(timeout, bool):
        why = timeout_error(kind, interval_s, float(timeout))
        if why:
            out.append(f"timeout_s: {why}")
    return out
