import pytest

from notifier.channels import pagerduty
from notifier.errors import DeliveryError
from tests.notifier.channels.conftest import incident


async def test_trigger_then_resolve_with_one_dedup_key(receiver, ctx) -> None:
    receiver.script["/pagerduty/v2/enqueue"] = [202]
    for kind in ("opened", "reminder", "resolved"):
        await pagerduty.send(incident(kind), {"routing_key": "R0UTING"}, ctx)
    trigger, reminder, resolve = (r.json() for r in receiver.requests)
    assert trigger["event_action"] == "trigger" and trigger["routing_key"] == "R0UTING"
    assert trigger["payload"]["severity"] == "critical"
    assert trigger["payload"]["summary"] == "Checkout is DOWN"
    assert trigger["payload"]["source"] == "https://shop.example/pay"
    assert trigger["links"][0]["href"] == "https://vigil.example/incidents/42"
    assert reminder["event_action"] == "trigger"
    assert resolve == {
        "routing_key": "R0UTING",
        "dedup_key": "vigil-incident-42",
        "event_action": "resolve",
    }
    assert trigger["dedup_key"] == reminder["dedup_key"] == "vigil-incident-42"


async def test_a_missing_routing_key_is_permanent(ctx) -> None:
    with pytest.raises(DeliveryError) as err:
        await pagerduty.send(incident(), {}, ctx)
    assert err.value.permanent
