"""`make run` (`vigil stack`): every executor, processor, scheduler and notifier it starts
serves /metrics, /healthz and /readyz on a side port of its own, and says where."""

import pytest

from ops.stack import children, side_ports
from shared.config import Settings

pytestmark = pytest.mark.unit
SIDE_PORTED = ("executor", "processor", "scheduler", "notifier")


def test_every_component_with_a_side_port_has_its_own() -> None:
    settings = Settings.from_env({})
    ports = {
        name: extra.get("VIGIL_METRICS_PORT")
        for name, _, extra in children(settings)
        if name.startswith(SIDE_PORTED)
    }
    assert len(ports) == 7  # one executor, and three for each of the two cells
    assert all(ports.values()), f"a component without a side port: {ports}"
    assert len(set(ports.values())) == len(ports), f"two components share a port: {ports}"
    announced = side_ports(settings)
    assert all(f":{port}" in announced for port in ports.values())
