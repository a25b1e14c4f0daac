"""A monitor's status from its tests' states (unit tests)."""

from __future__ import annotations

import pytest

from api.status import monitor_status


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([], "pending"),
        ([None], "pending"),
        (["up"], "up"),
        (["up", "up"], "up"),
        (["up", "degraded"], "degraded"),
        (["degraded", None], "pending"),
        (["up", None], "pending"),
        (["down", None], "down"),
        (["up", "degraded", "down"], "down"),
    ],
)
def test_worst_state_wins(states: list[str | None], expected: str) -> None:
    assert monitor_status(states) == expected
