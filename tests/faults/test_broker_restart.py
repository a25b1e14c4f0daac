"""RabbitMQ restarted under load (the cell's own node: stopped, started on the same data):
the executor keeps checking while the broker is gone and holds its results (in memory, then
spilled to disk after VIGIL_SPILL_AFTER) until it is back with publisher confirms; the
processor's unacked batches come back to it. Every check the target saw is stored once."""

from __future__ import annotations

import time

import pytest

from tests.faults.cell import FaultCell, now_ms

# The first test of a session also starts its own PostgreSQL and RabbitMQ.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]


def test_rabbitmq_restarted_under_load_loses_and_doubles_nothing(
    cell: FaultCell, report: dict[str, object]
) -> None:
    start = cell.wait_steady()
    fault = time.monotonic()
    during = cell.target.total()
    cell.mq.restart()
    back = now_ms()
    report["down_s"] = round(time.monotonic() - fault, 1)
    report["checked_while_down"] = cell.target.total() - during
    report["recovered_s"] = round(cell.recovered(back), 1)
    result = cell.count(start, report)
    assert result.exact, (result, cell.tail("executor"), cell.tail("processor"))
    # The executor went on checking while the broker was away, and nothing of it was lost.
    assert report["checked_while_down"] > 1000  # type: ignore[operator]
    assert report["dead_lettered"] == 0
    assert cell.incidents() == 0
