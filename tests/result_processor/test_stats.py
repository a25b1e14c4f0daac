"""The ingest rate the processors report (processor_stats), as the operator's view reads it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from result_processor.stats import Rate, processor_id
from shared import db, ingest
from shared.codec import encode_batch
from shared.tables import processor_stats
from tests.helpers import eventually
from tests.result_processor.test_processor import _batch, _ids, _publish, processors

pytestmark = pytest.mark.integration


def test_the_rate_is_over_the_window_and_falls_to_zero() -> None:
    rate = Rate(window_s=10)
    assert rate.update(0.0, 0) == 0.0
    assert rate.update(1.0, 100) == pytest.approx(100.0)
    assert rate.update(2.0, 300) == pytest.approx(150.0)  # 300 in 2 s
    for t in range(3, 13):
        last = rate.update(float(t), 1000)  # 700 more in the third second, then nothing
    assert last == pytest.approx((1000 - 300) / 10)  # the window starts at t=2
    assert rate.update(13.0, 1000) == pytest.approx(0.0)
    assert rate.update(13.0, 1000) == pytest.approx(0.0)  # same instant: no division by 0


def test_processor_ids_differ_within_one_process() -> None:
    assert processor_id() != processor_id()


async def test_several_processors_report_what_they_store_then_idle(database_url, amqp_url) -> None:
    engine = db.engine(database_url, pool_size=1)

    async def reading(cell: str) -> tuple[ingest.Ingest, int]:
        async with engine.connect() as conn:
            total = await conn.scalar(
                select(func.sum(processor_stats.c.results_total)).where(
                    processor_stats.c.cell == cell
                )
            )
            return await ingest.read(conn, cell), total or 0

    try:
        async with processors(database_url, amqp_url, n=2) as cell:
            test_ids = _ids(600)
            await _publish(
                amqp_url,
                cell,
                *[encode_batch(_batch(cell, test_ids[i : i + 20])) for i in range(0, 600, 20)],
            )

            async def counted() -> ingest.Ingest | None:
                now, total = await reading(cell)
                return now if total == 600 and now.processors == 2 else None

            busy = await eventually(counted, "both processors to report 600 results")
            assert busy.results_per_second > 0
            assert busy.last_result_at is not None
            assert busy.window_seconds == ingest.WINDOW_S

            async def idle() -> ingest.Ingest | None:
                now, _ = await reading(cell)
                return now if now.results_per_second == 0 else None

            quiet = await eventually(
                idle, "the rate to fall to 0 with no results coming", timeout=ingest.WINDOW_S + 15
            )
            assert quiet.processors == 2  # idle, still running
            assert quiet.last_result_at >= busy.last_result_at

        async def gone() -> bool:
            return (await reading(cell))[0].processors == 0

        await eventually(gone, "stopped processors to stop counting", timeout=ingest.STALE_S + 10)
        stopped, total = await reading(cell)
        assert (stopped.results_per_second, total) == (0.0, 600)
        assert stopped.last_result_at is not None  # when the cell last stored, still known
    finally:
        await engine.dispose()
