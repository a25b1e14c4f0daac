"""Conformance: every channel kind in the registry implements the one interface."""

import inspect

import pytest

from notifier import channels
from notifier.errors import DeliveryError


@pytest.mark.parametrize("kind", sorted(channels.REGISTRY))
def test_every_kind_implements_send(kind: str) -> None:
    send = channels.get(kind)
    assert inspect.iscoroutinefunction(send), kind
    assert list(inspect.signature(send).parameters) == ["notification", "config", "ctx"], kind


def test_the_issue_s_channels_are_all_registered() -> None:
    assert set(channels.REGISTRY) == {
        "email",
        "webhook",
        "slack",
        "teams",
        "discord",
        "telegram",
        "mattermost",
        "pagerduty",
        "hook",
    }


def test_an_unknown_kind_is_a_permanent_error() -> None:
    with pytest.raises(DeliveryError) as err:
        channels.get("carrier-pigeon")
    assert err.value.permanent
