"""What a heartbeat test's pings do to it, pure: fed one ping at a time, in time order.

    new ──success──▶ up ──fail / exit 1-255 / deadline missed──▶ down ──success──▶ up
     │                ▲                                            │
     └──start: must end within grace──┘   (late: up, past the expected time; seen, not told)

A success or a failure is a *result* of the test (stored in both result tables, moving its
state and incidents like any check's); its duration is the time since the start with the
same `rid` (no rid pairs with a start without one). A start ends nothing: it is remembered,
and the test must end it within `grace_s`. A log ping changes nothing. An end without a
start has no duration; a start older than 72 hours is unrelated to any end (a run that long
was lost, not running). A paused test keeps its pings and results but awaits nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared import heartbeat
from shared.heartbeat import FAIL, LOG, MAX_RUN_MS, MAX_STARTS, START, SUCCESS, Schedule
from shared.messages import Ping, Result, Status

NO_RID = ""  # the key of a start made without a rid


@dataclass
class Beat:
    """What a heartbeat test remembers between pings (a row of `heartbeats`)."""

    state: str = "new"  # new | up | down
    last_success_ms: int | None = None
    starts: dict[str, int] = field(default_factory=dict)  # rid (or NO_RID) -> start ms
    enabled: bool = True


@dataclass(frozen=True)
class Outcome:
    """A ping's effect: its result, if it is one, and the run's duration, if paired."""

    result: Result | None
    duration_ms: float | None


def step(beat: Beat, ping: Ping) -> Outcome:
    """Feed one ping; mutates `beat`."""
    _forget_old_starts(beat, ping.at_ms)
    rid = ping.rid or NO_RID
    if ping.kind == LOG:
        return Outcome(None, None)
    if ping.kind == START:
        beat.starts[rid] = ping.at_ms
        while len(beat.starts) > MAX_STARTS:
            del beat.starts[min(beat.starts, key=beat.starts.__getitem__)]
        return Outcome(None, None)
    started = beat.starts.pop(rid, None)
    duration = None if started is None or started > ping.at_ms else float(ping.at_ms - started)
    failed = ping.kind == FAIL or (ping.exit_status or 0) != 0
    extras: dict[str, object] = {"ping": ping.kind}
    if ping.exit_status is not None:
        extras["exit_status"] = ping.exit_status
    if failed:
        beat.state = "down"
        kind, text = (
            ("exit_status", f"the job exited with status {ping.exit_status}")
            if ping.exit_status
            else ("ping_fail", "the job reported a failure")
        )
        return Outcome(
            Result(ping.test_id, ping.at_ms, Status.DOWN, duration, None, kind, text, extras),
            duration,
        )
    assert ping.kind == SUCCESS
    beat.state = "up"
    beat.last_success_ms = max(beat.last_success_ms or 0, ping.at_ms)
    return Outcome(
        Result(ping.test_id, ping.at_ms, Status.UP, duration, None, None, None, extras), duration
    )


def _forget_old_starts(beat: Beat, now_ms: int) -> None:
    for rid in [r for r, at in beat.starts.items() if now_ms - at > MAX_RUN_MS]:
        del beat.starts[rid]


def deadlines(beat: Beat, schedule: Schedule) -> tuple[int | None, int | None]:
    """(late_at, due_at) of the test as the beat leaves it (`shared.heartbeat.deadlines`)."""
    return heartbeat.deadlines(
        schedule, beat.state, beat.enabled, beat.last_success_ms, list(beat.starts.values())
    )
