"""Every channel refuses settings it cannot use, permanently, without sending anything."""

import pytest

from notifier import channels
from notifier.errors import DeliveryError
from tests.notifier.channels.conftest import incident

GARBAGE = [
    {},
    {"url": None},
    {"url": 5},
    {"url": ""},
    {"url": ["http://x"]},
    {"name": 3},
    {"routing_key": False},
    {"token": {}},
]


@pytest.mark.parametrize("kind", sorted(channels.REGISTRY))
@pytest.mark.parametrize("config", GARBAGE)
async def test_garbage_settings_are_a_permanent_error(receiver, ctx, kind, config) -> None:
    with pytest.raises(DeliveryError) as err:
        await channels.get(kind)(incident(), config, ctx)
    assert err.value.permanent and "config." in err.value.message
    assert receiver.requests == []
