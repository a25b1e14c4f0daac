"""A monitor's status from its tests' states (unit tests)."""

from __future__ import annotations

import pytest

from api.status import monitor_status, state_label
from shared.messages import Status


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
        (["up", "misconfigured"], "misconfigured"),
        (["misconfigured", None, "degraded"], "misconfigured"),
        (["misconfigured", "down"], "down"),
    ],
)
def test_worst_state_wins(states: list[str | None], expected: str) -> None:
    assert monitor_status(states) == expected


def test_a_refused_config_is_misconfigured_whatever_its_status() -> None:
    assert state_label(Status.DOWN, "config") == "misconfigured"
    assert state_label(Status.DOWN, "timeout") == "down"
    assert state_label(Status.DEGRADED, None) == "degraded"


def test_every_verdict_has_its_label_and_the_answers_declare_them_all() -> None:
    from typing import get_args

    from api.status import LABELS, MonitorStatus, StateLabel

    assert {s: s.label for s in Status} == LABELS
    assert set(get_args(StateLabel)) == {*LABELS.values(), "misconfigured"}
    assert set(get_args(MonitorStatus)) == {*get_args(StateLabel), "pending"}
