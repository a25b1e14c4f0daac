"""Noise control, as pure functions: what to say, and when to keep quiet.

- maintenance windows mute alerts (one-off or repeating windows, for some monitors or all);
- a flapping test (up and down again and again) is one incident, not ten;
- reminders while an incident stays open, on a fixed grid from its start;
- a recovery notice only for an incident the channel was told of.

The incident engine calls these with what it knows; nothing here reads a clock or a table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class MaintenanceWindow:
    starts_at: datetime
    ends_at: datetime
    monitor_ids: frozenset[int] | None = None  # None: every monitor of the account
    every: timedelta | None = None  # repeats (a weekly backup window, say)

    def covers(self, monitor_id: int, at: datetime) -> bool:
        if self.monitor_ids is not None and monitor_id not in self.monitor_ids:
            return False
        if at < self.starts_at:
            return False
        length = self.ends_at - self.starts_at
        if self.every is None:
            return at < self.ends_at
        if length >= self.every:
            return True  # back-to-back repeats cover everything after the first start
        return (at - self.starts_at) % self.every < length


def in_maintenance(windows: Iterable[MaintenanceWindow], monitor_id: int, at: datetime) -> bool:
    return any(w.covers(monitor_id, at) for w in windows)


@dataclass(frozen=True)
class FlapPolicy:
    """`changes` state changes within `window` make a test flapping."""

    changes: int = 3
    window: timedelta = timedelta(minutes=10)


@dataclass(frozen=True)
class Flaps:
    """What the flap logic remembers of one test."""

    open: bool = False  # an incident is open (or held open while the test flaps)
    held_since: datetime | None = None  # up again, but flapping: resolution waits
    resolved_at: datetime | None = None  # of the last incident
    changes: tuple[datetime, ...] = ()  # recent state changes, within the window


def observe(state: Flaps, up: bool, at: datetime, policy: FlapPolicy) -> tuple[Flaps, str | None]:
    """A state change of the test. Returns the new state and the event it causes:
    opened, resolved, reopened (a flapping test failing again soon after it resolved: the same
    incident goes on), or None (flapping: held open, nothing to say)."""
    changes = tuple(c for c in state.changes if at - c < policy.window) + (at,)
    flapping = len(changes) >= policy.changes
    state = replace(state, changes=changes)
    if not up:
        if state.open:
            return replace(state, held_since=None), None
        recent = state.resolved_at is not None and at - state.resolved_at < policy.window
        return replace(state, open=True), "reopened" if flapping and recent else "opened"
    if not state.open:
        return state, None
    if flapping:
        return replace(state, held_since=state.held_since or at), None
    return replace(state, open=False, resolved_at=at), "resolved"


def tick(state: Flaps, now: datetime, policy: FlapPolicy) -> tuple[Flaps, str | None]:
    """Time passes: a held incident resolves once the test has stayed up a whole window."""
    if state.open and state.held_since is not None and now - state.held_since >= policy.window:
        return replace(state, open=False, held_since=None, resolved_at=now), "resolved"
    return state, None


def reminders_due(opened_at: datetime, now: datetime, every: timedelta | None,
                  sent: int, limit: int = 0) -> int:
    """How many reminders should have gone by `now` (at opened_at + k*every) minus those
    sent; 0 when reminders are off. `limit` caps the total (0: no cap)."""
    if every is None or every <= timedelta(0) or now < opened_at:
        return 0
    owed = (now - opened_at) // every
    if limit:
        owed = min(owed, limit)
    return max(0, owed - sent)


def next_reminder_at(opened_at: datetime, every: timedelta, sent: int) -> datetime:
    return opened_at + (sent + 1) * every


ALWAYS_TOLD = ("test",)  # a channel test is the user asking; maintenance does not mute it


def should_notify(kind: str, *, muted: bool, told_of_incident: bool,
                  recovery_notices: bool = True) -> bool:
    """Whether a channel hears of an event.

    A muted (maintenance) event is not told; a recovery is told only when the channel was
    told the incident began (nobody wants "back up" about an outage they never heard of,
    such as one that started inside a maintenance window) and the channel wants recoveries.
    """
    if kind in ALWAYS_TOLD:
        return True
    if muted:
        return False
    if kind == "resolved":
        return recovery_notices and told_of_incident
    if kind in ("updated", "reminder"):
        return told_of_incident
    return True
