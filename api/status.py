"""A monitor's status, derived from the states of its tests: pure logic, no I/O."""

from __future__ import annotations

from collections.abc import Iterable

from shared.messages import Status

DOWN = Status.DOWN.label
DEGRADED = Status.DEGRADED.label
UP = Status.UP.label
PENDING = "pending"  # a test that has not been checked yet


def monitor_status(test_states: Iterable[str | None]) -> str:
    """The worst of the tests' states: down, then pending, then degraded, then up.

    None stands for a test without a state yet. A monitor without tests is pending.
    """
    states = list(test_states)
    if DOWN in states:
        return DOWN
    if not states or None in states:
        return PENDING
    if DEGRADED in states:
        return DEGRADED
    return UP
