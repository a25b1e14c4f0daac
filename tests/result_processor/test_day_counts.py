"""Today's counts live in test_state (one upsert per test per group) and reach daily_rollups
when the test's day changes, or when maintenance files days no longer being counted."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from result_processor import rollups
from result_processor.store import store_group
from tests.result_processor.helpers import MINUTE, batch, down, ids, up

pytestmark = pytest.mark.integration

DAY = 1440 * MINUTE
NOON = 1_790_000_000_000 // DAY * DAY + DAY // 2  # a fixed noon, inside no partition's gap


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    c = await asyncpg.connect(database_url)
    yield c
    await c.close()


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


async def rollup_rows(conn: asyncpg.Connection, test_id: int) -> list[tuple]:
    rows = await conn.fetch(
        "SELECT day, checks, failures, degraded, latency_count, latency_sum "
        "FROM daily_rollups WHERE test_id = $1 ORDER BY day",
        test_id,
    )
    return [tuple(r) for r in rows]


async def state_counts(conn: asyncpg.Connection, test_id: int) -> tuple:
    return tuple(
        await conn.fetchrow(
            "SELECT day, day_checks, day_failures, day_degraded, day_latency_count, "
            "day_latency_sum FROM test_state WHERE test_id = $1",
            test_id,
        )
    )


async def test_todays_counts_add_up_in_test_state_and_move_when_the_day_changes(conn) -> None:
    [t] = ids(1)
    day1, day2 = at(NOON).date(), at(NOON + DAY).date()
    await store_group(
        conn, [batch([up(t, NOON, 10.0), down(t, NOON + MINUTE)])], at(NOON + 2 * MINUTE)
    )
    await store_group(conn, [batch([up(t, NOON + 2 * MINUTE, 30.0)])], at(NOON + 3 * MINUTE))
    assert await state_counts(conn, t) == (day1, 3, 1, 0, 2, 40.0)
    assert await rollup_rows(conn, t) == []  # one upsert per group: test_state only
    # The next day's first result: day 1 is filed, day 2 starts from its own counts.
    await store_group(conn, [batch([up(t, NOON + DAY, 5.0)])], at(NOON + DAY + MINUTE))
    assert await rollup_rows(conn, t) == [(day1, 3, 1, 0, 2, 40.0)]
    assert await state_counts(conn, t) == (day2, 1, 0, 0, 1, 5.0)
    status = await conn.fetchval("SELECT status FROM test_state WHERE test_id = $1", t)
    assert status == 1  # the state is the newest result's, as before


async def test_a_late_result_of_another_day_goes_straight_to_its_rollup(conn) -> None:
    [t] = ids(1)
    day0, day1 = at(NOON - DAY).date(), at(NOON).date()
    await store_group(conn, [batch([up(t, NOON, 10.0)])], at(NOON + MINUTE))
    # A region cut off since yesterday delivers now: yesterday's results beside today's.
    await store_group(
        conn,
        [batch([down(t, NOON - DAY), up(t, NOON - DAY + MINUTE, 4.0), up(t, NOON + MINUTE, 20.0)])],
        at(NOON + 2 * MINUTE),
    )
    assert await rollup_rows(conn, t) == [(day0, 2, 1, 0, 1, 4.0)]
    assert await state_counts(conn, t) == (day1, 2, 0, 0, 2, 30.0)
    checked = await conn.fetchval("SELECT checked_at FROM test_state WHERE test_id = $1", t)
    assert checked == at(NOON + MINUTE)  # the late results did not move the state back


async def test_maintenance_files_the_days_of_tests_no_longer_checked(conn) -> None:
    quiet, busy = ids(2)
    day1 = at(NOON).date()
    await store_group(conn, [batch([up(quiet, NOON, 8.0), up(busy, NOON, 9.0)])], at(NOON + MINUTE))
    await store_group(conn, [batch([up(busy, NOON + DAY, 9.0)])], at(NOON + DAY))
    assert await rollups.file_past_days(conn, day1 + timedelta(days=1)) >= 1
    assert await rollup_rows(conn, quiet) == [(day1, 1, 0, 0, 1, 8.0)]
    assert (await state_counts(conn, quiet))[:2] == (None, 0)
    assert (await state_counts(conn, busy))[:2] == (day1 + timedelta(days=1), 1)
    # Filed once: a second round finds nothing of these tests, and new results count anew.
    await rollups.file_past_days(conn, day1 + timedelta(days=1))
    await store_group(conn, [batch([up(quiet, NOON + DAY + MINUTE, 2.0)])], at(NOON + DAY))
    assert await rollup_rows(conn, quiet) == [(day1, 1, 0, 0, 1, 8.0)]
    assert await state_counts(conn, quiet) == (day1 + timedelta(days=1), 1, 0, 0, 1, 2.0)
