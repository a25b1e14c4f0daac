"""Heartbeat (push) tests: their schedule, their deadlines and the state a reader sees, pure.

A heartbeat test runs nowhere: the job it watches calls its ping URL. After a success the
next ping is expected a period later (`interval_s`), or at the next time of its `cron`
expression in its time zone (`tz`); past that it is `late`, and `grace_s` later, `down`. A
job that said it started must end within `grace_s` of its start. The API (validation,
what a test shows) and the result processor (deadlines) share these functions.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

KIND = "heartbeat"
# The region column of a ping's result (results need one; no region runs a heartbeat).
PUSH_REGION = "push"
MAX_PERIOD_S = 366 * 86400
MAX_GRACE_S = 366 * 86400
DEFAULT_PERIOD_S = 86400
DEFAULT_GRACE_S = 3600
MAX_CRON = 200
BODY_LIMIT = 10_000  # bytes of a POST body kept; the rest is cut, the ping still counts
MAX_RUN_MS = 72 * 3600 * 1000  # a start older than this is unrelated to an end
MAX_STARTS = 10  # runs remembered at once (rid pairing), the oldest forgotten first
STATES = ("new", "up", "late", "down", "paused")

# What a ping says, as the URL says it.
SUCCESS, START, FAIL, LOG = "success", "start", "fail", "log"
PING_KINDS = (SUCCESS, START, FAIL, LOG)


def new_token() -> str:
    """A ping token: 128 random bits in 22 URL-safe characters, unguessable."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class Schedule:
    """When pings are expected: every `period_s`, or at the times of `cron` in `tz`."""

    period_s: int
    grace_s: int
    cron: str | None = None
    tz: str = "UTC"

    def expected_after(self, at_ms: int) -> int:
        """When the next ping is due after a success at `at_ms` (epoch ms)."""
        if self.cron is None:
            return at_ms + self.period_s * 1000
        local = datetime.fromtimestamp(at_ms / 1000, UTC).astimezone(ZoneInfo(self.tz))
        # cronsim works on aware datetimes, so a time skipped or repeated by a DST change
        # is handled as cron does (a skipped time fires at the jump, a repeated one once).
        return int(next(CronSim(self.cron, local)).timestamp() * 1000)

    def down_at(self, last_success_ms: int | None, starts_ms: list[int]) -> int | None:
        """When the test goes down without a success: the expected time (after the last
        success) plus grace, or sooner if a run started and has not ended within grace.
        None when nothing is awaited (never pinged)."""
        due = [s + self.grace_s * 1000 for s in starts_ms]
        if last_success_ms is not None:
            due.append(self.expected_after(last_success_ms) + self.grace_s * 1000)
        return min(due) if due else None


def schedule_of(interval_s: int, config: Mapping[str, Any]) -> Schedule:
    """The schedule of a stored (already validated) heartbeat test."""
    return Schedule(
        interval_s,
        int(config.get("grace_s", DEFAULT_GRACE_S)),
        config.get("cron"),
        config.get("tz") or "UTC",
    )


def validate_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A heartbeat's config with defaults filled in; ValueError("<field>: ...") otherwise."""
    grace = config.get("grace_s", DEFAULT_GRACE_S)
    if type(grace) is not int or not 1 <= grace <= MAX_GRACE_S:
        raise ValueError(f"grace_s: expected a whole number from 1 to {MAX_GRACE_S}")
    tz = config.get("tz", "UTC")
    cron = config.get("cron")
    if not isinstance(tz, str) or not valid_zone(tz):
        raise ValueError("tz: not a time zone name (IANA, such as Europe/Amsterdam)")
    if cron is not None:
        if not isinstance(cron, str) or len(cron) > MAX_CRON:
            raise ValueError(f"cron: expected an expression of at most {MAX_CRON} characters")
        try:
            next(CronSim(cron, datetime.now(ZoneInfo(tz))))
        except (CronSimError, StopIteration) as exc:
            raise ValueError(f"cron: {exc or 'never fires'}") from None
    return {"cron": cron, "tz": tz, "grace_s": grace}


def valid_zone(name: str) -> bool:
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return False  # ZoneInfo would read a file by that path
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


# What a heartbeat test reads as, in the API's answers and the frontend.
Status = Literal["new", "up", "late", "down", "paused"]


def status(enabled: bool, state: str | None, late_at_ms: int | None, now_ms: int) -> Status:
    """What a reader sees: paused (disabled), new (never pinged), down (failed or missed),
    late (the expected time passed, still within grace: visible, alerts nobody), or up."""
    if not enabled:
        return "paused"
    if state in (None, "new"):
        return "new"
    if state == "down":
        return "down"
    return "late" if late_at_ms is not None and now_ms >= late_at_ms else "up"


def deadlines(
    schedule: Schedule, state: str, enabled: bool, last_success_ms: int | None, starts_ms: list[int]
) -> tuple[int | None, int | None]:
    """(late_at, due_at) in epoch ms: when the next ping is expected, and when the test goes
    down without one. Nothing is awaited while paused, down (until a success) or new
    (unless a run started)."""
    if not enabled or state == "down":
        return None, None
    if state == "new" or last_success_ms is None:
        return None, schedule.down_at(None, starts_ms)
    return schedule.expected_after(last_success_ms), schedule.down_at(last_success_ms, starts_ms)
