"""The executor SIGKILLed and started again: a crash may lose what it held in memory, the
results of the last VIGIL_BATCH_MAX_DELAY not yet published and the checks in flight, and
nothing else. The test counts exactly what was lost, proves it all came from the moments
before the kill, that nothing was doubled, and that the restarted executor resumes its tests
from its holdings (state directory) before the scheduler's resync."""

from __future__ import annotations

import pytest

from tests.faults.cell import INTERVAL_S, N_TESTS, FaultCell, now_ms

# The first test of a session also starts its own PostgreSQL and RabbitMQ.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]

BATCH_MAX_DELAY_MS = 200  # the cell's VIGIL_BATCH_MAX_DELAY


def test_executor_sigkilled_loses_only_what_it_held_in_memory(
    cell: FaultCell, report: dict[str, object]
) -> None:
    start = cell.wait_steady()
    killed = now_ms()
    cell.kill("executor")
    cell.start("executor")
    report["recovered_s"] = round(cell.recovered(now_ms()), 1)
    result = cell.count(start, report, timeout=20)
    rate = N_TESTS / INTERVAL_S
    report.update(
        lost_checks_per_s_of_load=round(result.lost / rate, 2),
        lost_before_kill_ms=[
            killed - max(result.lost_at, default=killed),
            killed - min(result.lost_at, default=killed),
        ],
    )
    assert result.doubled == 0 and result.unseen == 0, result
    # Only the moments before the kill: the batch being filled and the checks in flight.
    assert all(
        killed - 2 * BATCH_MAX_DELAY_MS - 500 <= at <= killed + 50 for at in result.lost_at
    ), (killed, result.lost_at)
    assert result.lost <= rate  # at most a second's worth of checks
    assert result.seen > 1000
    assert report["dead_lettered"] == 0
    assert cell.incidents() == 0
    assert cell.log_count("executor", "holdings restored") == 1  # resumed from its state dir
