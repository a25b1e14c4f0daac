"""The API's read queries, over rows stored by the real processor path."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from api import queries
from result_processor import incidents, rollups
from result_processor.store import store_group
from shared import db
from shared.messages import Status
from tests.result_processor.helpers import MINUTE, batch, down, make_monitor, up

pytestmark = pytest.mark.integration


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator:
    e = db.engine(database_url, pool_size=1)
    yield e
    await e.dispose()


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    c = await asyncpg.connect(database_url)
    yield c
    await c.close()


def ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


@pytest.fixture
async def history(conn) -> dict:
    """A monitor of two tests: t1 up for two hours then down ten minutes, t2 always up."""
    monitor, (t1, t2) = await make_monitor(conn, 2, rule={"retries": 1, "regions": 1})
    clock = datetime.now(UTC)  # the processor's: one reading, so its day is the fixture's
    now = clock.replace(second=0, microsecond=0)
    start = now - timedelta(hours=2)
    rows1 = [up(t1, ms(start) + i * MINUTE, float(i % 100 + 1)) for i in range(110)]
    rows1 += [down(t1, ms(start) + i * MINUTE) for i in range(110, 120)]
    rows2 = [up(t2, ms(start) + i * MINUTE, 10.0) for i in range(120)]
    old = [up(t1, ms(now - timedelta(days=2)), 5.0)]
    await store_group(conn, [batch(rows1 + old), batch(rows2)], clock, after=[incidents.evaluate])
    return {"monitor": monitor, "t1": t1, "t2": t2, "now": now, "start": start}


async def test_counts_and_uptime_over_24_hours(engine, history) -> None:
    async with engine.connect() as c:
        one = await queries.counts_24h(c, history["t1"], history["now"])
        both = await queries.monitor_counts_24h(c, history["monitor"], history["now"])
        nothing = await queries.counts_24h(c, -1, history["now"])
    assert (one.checks, one.failures, one.degraded) == (120, 10, 0)
    assert one.uptime == pytest.approx(110 / 120)
    assert (both.checks, both.failures) == (240, 10) and both.uptime == pytest.approx(230 / 240)
    assert nothing.uptime is None


async def test_last_results_newest_first(engine, history) -> None:
    async with engine.connect() as c:
        rows = await queries.last_results(c, history["t1"], limit=3)
    assert [r.status for r in rows] == [int(Status.DOWN)] * 3
    assert rows[0].checked_at == history["now"] - timedelta(minutes=1)


async def test_response_time_percentiles_per_bucket(engine, history) -> None:
    async with engine.connect() as c:
        points = await queries.response_times(
            c, history["t1"], history["start"], history["now"], timedelta(hours=1)
        )
    assert [p.at for p in points] == [history["start"], history["start"] + timedelta(hours=1)]
    assert points[0].checks == 60 and points[0].p50_ms == pytest.approx(30.5)
    assert points[1].checks == 60 and points[1].p99_ms is not None  # ten failures: no latency


async def test_ninety_daily_bars_from_the_rollups(engine, history) -> None:
    today = history["now"].date()
    async with engine.connect() as c:
        bars = await queries.daily_bars(c, [history["t1"], history["t2"]], today)
    assert len(bars) == 90 and bars[-1].day == today and bars[0].day == today - timedelta(89)
    by_day = {b.day: b for b in bars}
    two_days_ago = (history["now"] - timedelta(days=2)).date()
    assert by_day[two_days_ago].checks == 1 and by_day[two_days_ago].uptime == 1.0
    assert sum(b.checks for b in bars) == 241 and sum(b.failures for b in bars) == 10


async def test_daily_latency_after_the_day_is_sealed(engine, conn, history) -> None:
    await rollups.seal(conn, datetime.now(UTC))
    day = (history["now"] - timedelta(days=2)).date()
    async with engine.connect() as c:
        [row] = await queries.daily_latency(c, history["t1"], day, day)
    assert (row.checks, row.p50_ms, row.mean_ms) == (1, 5.0, 5.0)


async def test_incidents_in_a_range(engine, history) -> None:
    now, monitor = history["now"], history["monitor"]
    async with engine.connect() as c:
        found = await queries.incidents_between(
            c, now - timedelta(hours=1), now, monitor_ids=[monitor]
        )
        before = await queries.incidents_between(
            c, now - timedelta(days=3), now - timedelta(hours=1), monitor_ids=[monitor]
        )
        by_test = await queries.incidents_between(
            c, now - timedelta(hours=1), now, test_ids=[history["t1"]]
        )
    assert [(i.test_id, i.state) for i in found] == [(history["t1"], "down")]
    assert found[0].started_at == now - timedelta(minutes=10)
    assert before == [] and by_test == found


async def test_a_day_counted_in_both_places_is_summed(engine, conn, history) -> None:
    # Today's counts are in test_state; a processor whose clock is a day off added some of
    # today's results to daily_rollups directly. Readers see one day, summed.
    t1, today, start = history["t1"], history["now"].date(), history["start"]
    on_today = [i for i in range(120) if (start + timedelta(minutes=i)).date() == today]
    up_today = [i for i in on_today if i < 110]  # the fixture's t1: up, then 10 down
    await conn.execute(
        "INSERT INTO daily_rollups (test_id, day, checks, failures, degraded, "
        "latency_count, latency_sum) VALUES ($1, $2, 4, 1, 0, 3, 300.0)",
        t1,
        today,
    )
    async with engine.connect() as c:
        [bar] = await queries.daily_bars(c, [t1], today, days=1)
        [latency] = await queries.daily_latency(c, t1, today, today)
        first, [row] = await queries.monitors_daily_arrays(c, [history["monitor"]], today, 1)
    assert (bar.checks, bar.failures) == (len(on_today) + 4, len(on_today) - len(up_today) + 1)
    assert latency.checks == bar.checks and latency.p50_ms is None  # not sealed: today
    assert latency.mean_ms == pytest.approx(
        (sum(float(i % 100 + 1) for i in up_today) + 300.0) / (len(up_today) + 3)
    )
    assert (row[0], row[1], first) == (history["monitor"], [0], today)
    assert row[2] == [bar.checks + len(on_today)]  # t2 has a result each minute t1 has
