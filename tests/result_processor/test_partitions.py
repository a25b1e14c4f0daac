"""Partition maintenance on a real database of its own, time injected."""

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from result_processor import partitions
from shared import partitioning as parts
from tests import services

pytestmark = pytest.mark.integration
ROW = "INSERT INTO {} (test_id, checked_at, region, node, status) VALUES (1, $1, 'r', 'n', 1)"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def own_database() -> Iterator[str]:
    """Maintenance drops partitions: it gets a database nobody else writes to."""
    name, url = services.create_migrated_database("vigil_parts")
    yield url
    services.drop_database_sync(name)


@pytest.fixture
async def conn(own_database: str) -> AsyncIterator[asyncpg.Connection]:
    c = await asyncpg.connect(own_database)
    await c.execute("TRUNCATE results, results_week")
    yield c
    await c.close()


async def where(conn: asyncpg.Connection, table: str, t: datetime) -> str:
    """The partition that holds the row of time t."""
    return await conn.fetchval(
        f"SELECT tableoid::regclass::text FROM {table} WHERE checked_at = $1", t
    )


async def test_partitions_are_created_ahead_across_the_new_year(conn) -> None:
    now = at(2026, 12, 30, 23)
    done = await partitions.maintain(conn, [parts.results_scheme(), parts.WEEK], now)
    assert done is not None and done["created"] >= 1
    have = set(await partitions.existing(conn, "results"))
    assert {"results_p2026_12", "results_p2027_01", "results_p2027_02"} <= have
    week = set(await partitions.existing(conn, "results_week"))
    assert {"results_week_p2026_12_31", "results_week_p2027_01_02"} <= week
    again = await partitions.maintain(conn, [parts.results_scheme(), parts.WEEK], now)
    assert again == {"created": 0, "dropped": 0, "moved": 0, "purged": 0}
    late = at(2027, 1, 1, 0, 0, 30)
    await conn.execute(ROW.format("results"), late)
    assert await where(conn, "results", late) == "results_p2027_01"


async def test_a_late_result_lands_in_the_default_then_moves_to_its_own_partition(conn) -> None:
    late = at(2019, 6, 15, 8, 30)  # a month nobody made a partition for
    await conn.execute(ROW.format("results"), late)
    assert await where(conn, "results", late) == "results_default"
    done = await partitions.maintain(conn, [parts.results_scheme()], at(2026, 11, 26))
    assert done is not None and done["moved"] == 1
    assert await where(conn, "results", late) == "results_p2019_06"
    assert await conn.fetchval("SELECT count(*) FROM results_default") == 0


async def test_week_rows_past_seven_days_are_purged_recent_ones_rescued(conn) -> None:
    now = at(2031, 3, 10, 12)  # far from the migration's partitions: none exist here
    old, recent = now - timedelta(days=8), now - timedelta(days=3)
    for t in (old, recent):
        await conn.execute(ROW.format("results_week"), t)
    done = await partitions.maintain(conn, [parts.WEEK], now)
    assert done is not None and done["purged"] == 1 and done["moved"] == 1
    assert await where(conn, "results_week", recent) == "results_week_p2031_03_07"
    assert await where(conn, "results_week", old) is None


async def test_retention_drops_whole_partitions_on_both_tables(conn) -> None:
    now = at(2032, 1, 15)
    await partitions.maintain(conn, [parts.results_scheme(), parts.WEEK], now)
    await conn.execute(ROW.format("results_week"), now)
    await conn.execute(ROW.format("results"), now)
    later = now + timedelta(days=8)
    keep_forever = await partitions.maintain(conn, [parts.results_scheme(), parts.WEEK], later)
    assert keep_forever is not None
    assert "results_week_p2032_01_15" not in await partitions.existing(conn, "results_week")
    assert await conn.fetchval("SELECT count(*) FROM results_week WHERE checked_at = $1", now) == 0
    assert "results_p2032_01" in await partitions.existing(conn, "results")
    year_later = now + timedelta(days=400)
    await partitions.maintain(conn, [parts.results_scheme(retention_days=365)], year_later)
    assert "results_p2032_01" not in await partitions.existing(conn, "results")
    assert "results_p2033_02" in await partitions.existing(conn, "results")


async def test_one_processor_maintains_at_a_time(conn, own_database) -> None:
    other = await asyncpg.connect(own_database)
    try:
        assert await other.fetchval("SELECT pg_try_advisory_lock($1)", partitions._LOCK_KEY)
        assert await partitions.maintain(conn, [parts.WEEK], at(2026, 11, 26)) is None
    finally:
        await other.close()
    assert await partitions.maintain(conn, [parts.WEEK], at(2026, 11, 26)) is not None
