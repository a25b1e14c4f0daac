"""A monitor's status, derived from the states of its tests: pure logic, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal

from shared.messages import CONFIG_ERROR, Status

# misconfigured: the executor refused the test's configuration (error_kind "config", the
# reason in `error`); it cannot run, which is not an outage, and opens no incident.
StateLabel = Literal["up", "down", "degraded", "misconfigured"]
MonitorStatus = Literal["up", "down", "degraded", "misconfigured", "pending"]

DOWN: Final = "down"
DEGRADED: Final = "degraded"
UP: Final = "up"
PENDING: Final = "pending"  # a test that has not been checked yet
MISCONFIGURED: Final = "misconfigured"
# Status.label of each verdict, as the literal type the API's answers declare
# (tests/api/test_status.py holds the two to each other).
LABELS: Final[dict[Status, StateLabel]] = {
    Status.DOWN: DOWN,
    Status.UP: UP,
    Status.DEGRADED: DEGRADED,
}


def state_label(status: int, error_kind: str | None) -> StateLabel:
    """What a stored result or test state shows: its status, or misconfigured."""
    return MISCONFIGURED if error_kind == CONFIG_ERROR else LABELS[Status(status)]


def monitor_status(test_states: Iterable[str | None]) -> MonitorStatus:
    """The worst of the tests' states: down, misconfigured, pending, degraded, then up.

    None stands for a test without a state yet. A monitor without tests is pending. A
    misconfigured test ranks just after down: the monitor does not watch what it should.
    """
    states = list(test_states)
    if DOWN in states:
        return DOWN
    if MISCONFIGURED in states:
        return MISCONFIGURED
    if not states or None in states:
        return PENDING
    if DEGRADED in states:
        return DEGRADED
    return UP
