"""Noise control, as pure functions: what to say, and when to keep quiet.

- maintenance windows mute alerts (for some monitors or all);
- a recovery notice only for an incident the channel was told of.

The fan-out calls these with what it knows; nothing here reads a clock or a table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class MaintenanceWindow:
    starts_at: datetime
    ends_at: datetime
    monitor_ids: frozenset[int] | None = None  # None: every monitor of the account

    def covers(self, monitor_id: int, at: datetime) -> bool:
        if self.monitor_ids is not None and monitor_id not in self.monitor_ids:
            return False
        return self.starts_at <= at < self.ends_at


def in_maintenance(windows: Iterable[MaintenanceWindow], monitor_id: int, at: datetime) -> bool:
    return any(w.covers(monitor_id, at) for w in windows)


ALWAYS_TOLD = ("test",)  # a channel test is the user asking; maintenance does not mute it


def should_notify(
    kind: str, *, muted: bool, told_of_incident: bool, recovery_notices: bool = True
) -> bool:
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
