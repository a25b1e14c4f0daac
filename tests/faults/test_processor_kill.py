"""The processor SIGKILLed in the middle of a storing transaction: its rows were copied into
`results` but not committed, so PostgreSQL rolls them back, the broker hands the unacked
batches to the next processor, and every check the target saw is stored once.

To kill it mid-transaction for certain, the test holds a lock on `results_week`: the
processor's writers claim their batch ids and COPY their rows into `results`, then wait on
the lock for the week table; pg_stat_activity shows them waiting inside the transaction,
and that is when the test kills the process."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.faults.cell import FaultCell, now_ms, wait

# The first test of a session also starts its own PostgreSQL and RabbitMQ.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]

_WAITING = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock'
  AND query LIKE 'INSERT INTO results_week%' AND xact_start IS NOT NULL
"""


async def _kill_mid_store(cell: FaultCell, report: dict[str, object]) -> None:
    lock = await asyncpg.connect(cell.database_url)
    try:
        held = lock.transaction()
        await held.start()
        await lock.execute("LOCK TABLE results_week IN ACCESS EXCLUSIVE MODE")
        probe = await asyncpg.connect(cell.database_url)
        try:
            for _ in range(300):  # up to 30 s for a writer to reach the week table
                if await probe.fetchval(_WAITING):
                    break
                await asyncio.sleep(0.1)
            report["writers_mid_store"] = await probe.fetchval(_WAITING)
            # Copied into `results`, not committed: what the kill must not keep nor lose.
            report["open_store_transactions"] = await probe.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND granted"
                " AND pid <> pg_backend_pid() AND pid <> $1",
                lock.get_server_pid(),
            )
        finally:
            await probe.close()
        cell.kill("processor")
        cell.start("processor")
        await held.rollback()
    finally:
        await lock.close()


def test_processor_sigkilled_mid_store_loses_and_doubles_nothing(
    cell: FaultCell, report: dict[str, object]
) -> None:
    start = cell.wait_steady()
    killed = now_ms()
    asyncio.run(_kill_mid_store(cell, report))
    assert report["writers_mid_store"], "no writer was caught inside its transaction"
    report["recovered_s"] = round(cell.recovered(killed + 1000), 1)
    result = cell.count(start, report)
    report["duplicates_skipped"] = cell.log_count("processor", "duplicate batches skipped")
    assert result.exact, (result, cell.tail("processor"))
    assert result.seen > 1000
    assert report["dead_lettered"] == 0
    assert cell.incidents() == 0
    wait(lambda: cell.caught_up(), "the processor to keep up again", 30)
