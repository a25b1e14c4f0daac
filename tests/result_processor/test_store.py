"""Storing groups of batches, straight against PostgreSQL (no broker)."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import msgpack
import pytest
import zstandard

from result_processor import rollups
from result_processor.store import Decoded, store_group
from shared.codec import decode_batch
from shared.messages import Result, Status
from tests.result_processor.helpers import MINUTE, batch, down, ids, make_monitor, now_ms, up

pytestmark = pytest.mark.integration


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    c = await asyncpg.connect(database_url)
    yield c
    await c.close()


async def count(conn: asyncpg.Connection, table: str, test_ids: list[int]) -> int:
    return await conn.fetchval(f"SELECT count(*) FROM {table} WHERE test_id = any($1)", test_ids)


def now() -> datetime:
    return datetime.now(UTC)


async def day_counts(conn: asyncpg.Connection, test_id: int) -> list[tuple]:
    """(checks, failures, latency count, latency sum) per day, oldest first: the rollups and
    the counts of the test's current day still in test_state, as readers see them."""
    rows = await conn.fetch(
        "SELECT day, sum(checks), sum(failures), sum(latency_count), sum(latency_sum) FROM ("
        " SELECT day, checks, failures, latency_count, latency_sum FROM daily_rollups"
        " WHERE test_id = $1 UNION ALL SELECT day, day_checks, day_failures,"
        " day_latency_count, day_latency_sum FROM test_state WHERE test_id = $1"
        " AND day IS NOT NULL) c GROUP BY day ORDER BY day",
        test_id,
    )
    return [tuple(r)[1:] for r in rows]


async def test_a_group_is_one_transaction_and_repeats_are_skipped(conn) -> None:
    t = ids(3)
    b1, b2, b3 = (batch([up(i, now_ms())]) for i in t)
    stored = await store_group(conn, [b1, b2, b1], now())
    assert (stored.batches, stored.duplicates, stored.results) == (2, 1, 2)
    stored = await store_group(conn, [b2, b3], now())
    assert (stored.batches, stored.duplicates, stored.results) == (1, 1, 1)
    assert await count(conn, "results", t) == 3 and await count(conn, "results_week", t) == 3


async def test_a_failed_group_stores_nothing(conn) -> None:
    [t] = ids(1)
    good = batch([up(t, now_ms())])
    bad = batch([up(t, now_ms())], region="r" * 40)  # longer than the column allows
    with pytest.raises(asyncpg.PostgresError):
        await store_group(conn, [good, bad], now())
    assert await count(conn, "results", [t]) == 0
    assert (await store_group(conn, [good], now())).batches == 1  # its id was not kept


async def test_a_result_late_by_more_than_a_week_goes_to_history_only(conn) -> None:
    [t] = ids(1)
    late = now_ms() - 9 * 24 * 60 * MINUTE
    await store_group(conn, [batch([up(t, late), up(t, now_ms())])], now())
    assert await count(conn, "results", [t]) == 2
    assert await count(conn, "results_week", [t]) == 1


async def test_poison_rows_are_set_aside_and_their_neighbours_stored(conn) -> None:
    [t] = ids(1)
    rows = [
        [t, now_ms(), 1, 4.0, 200, None, None],
        ["garbage"],
        [t, now_ms() + 1, 9, 1.0, None, None, None],
    ]
    body = zstandard.ZstdCompressor().compress(
        msgpack.packb(
            {"v": 1, "id": b"p" * 16, "cell": "a", "region": "eu", "node": "n", "rows": rows}
        )
    )
    decoded = Decoded(*decode_batch(body))
    stored = await store_group(conn, [decoded], now())
    assert (stored.results, stored.rejected) == (1, 2)
    reasons = await conn.fetch("SELECT reason FROM rejected_results WHERE batch_id = $1", b"p" * 16)
    assert sorted(r["reason"] for r in reasons) == [
        "row: expected an array of 7 fields (8 with extras)",
        "status: unknown value 9",
    ]


async def test_rollups_count_per_test_and_utc_day(conn) -> None:
    [t] = ids(1)
    midnight = now_ms() // (1440 * MINUTE) * (1440 * MINUTE)
    # The processor's clock a few minutes after that midnight: now() would be another day
    # when the suite runs in the first hour after UTC midnight (now_ms() is an hour ago).
    clock = datetime.fromtimestamp((midnight + 10 * MINUTE) / 1000, UTC)
    group = [up(t, midnight - MINUTE, 10.0), down(t, midnight), up(t, midnight + MINUTE, 30.0)]
    await store_group(conn, [batch(group)], clock)
    await store_group(conn, [batch([up(t, midnight + 2 * MINUTE, 50.0)])], clock)
    assert await day_counts(conn, t) == [(1, 0, 1, 10.0), (3, 1, 2, 80.0)]


async def test_closed_days_get_exact_percentiles_once(conn) -> None:
    [t] = ids(1)
    today = now_ms() // (1440 * MINUTE) * (1440 * MINUTE)
    yesterday = today - 1440 * MINUTE
    # The processor's clock on that same day, past the grace: with now(), in the first hour
    # after UTC midnight (now_ms() is an hour ago) "today" here would be yesterday to the
    # processor, its result a late one in a rollup row, and sealed once past the grace.
    clock = (
        datetime.fromtimestamp(today / 1000, UTC) + rollups.SEAL_GRACE + 5 * timedelta(minutes=1)
    )
    await store_group(
        conn, [batch([up(t, yesterday + i * MINUTE, float(i + 1)) for i in range(100)])], clock
    )
    await store_group(conn, [batch([up(t, today + MINUTE, 7.0)])], clock)
    assert await rollups.seal(conn, clock) >= 1
    rows = await conn.fetch(
        "SELECT p50_ms, p95_ms, p99_ms, sealed FROM daily_rollups WHERE test_id = $1 ORDER BY day",
        t,
    )
    assert tuple(rows[0]) == (pytest.approx(50.5), pytest.approx(95.05), pytest.approx(99.01), True)
    # Today is not over: its counts are still in test_state, not in a rollup row.
    assert len(rows) == 1
    assert await day_counts(conn, t) == [(100, 0, 100, 5050.0), (1, 0, 1, 7.0)]


def test_days_to_seal_wait_for_the_grace_after_midnight() -> None:
    midnight = datetime(2026, 11, 26, tzinfo=UTC)
    oldest = midnight.date() - timedelta(days=30)
    assert rollups.days_to_seal(midnight + timedelta(minutes=5), oldest)[
        -1
    ] == midnight.date() - timedelta(days=2)
    assert rollups.days_to_seal(midnight + timedelta(minutes=20), oldest)[
        -1
    ] == midnight.date() - timedelta(days=1)
    assert rollups.days_to_seal(midnight, oldest)[0] == midnight.date() - timedelta(days=6)


async def test_monitor_state_is_the_worst_of_its_tests(conn) -> None:
    monitor, (t1, t2) = await make_monitor(conn, 2)
    at = now_ms()
    await store_group(conn, [batch([up(t1, at), up(t2, at)])], now())
    state = await conn.fetchrow(
        "SELECT status, since FROM monitor_state WHERE monitor_id = $1", monitor
    )
    assert state["status"] == Status.UP
    await store_group(conn, [batch([up(t1, at + MINUTE), down(t2, at + MINUTE)])], now())
    state = await conn.fetchrow(
        "SELECT status, since FROM monitor_state WHERE monitor_id = $1", monitor
    )
    assert state["status"] == Status.DOWN
    assert state["since"] == datetime.fromtimestamp((at + MINUTE) / 1000, UTC)


async def test_extras_are_stored_in_both_tables_and_rows_without_them_get_null(conn) -> None:
    t1, t2 = ids(2)
    timings = {"dns_ms": 0.5, "connect_ms": 1.25, "ttfb_ms": 9.0, "cert_days": 30}
    rest = {
        "attempts": 2,
        "first_error": "timeout",
        "check_now_for": "eu",
        "ok": True,
        "none": None,
    }
    with_extras = Result(t1, now_ms(), Status.UP, 9.5, 200, extras={**timings, **rest})
    await store_group(conn, [batch([with_extras, up(t2, now_ms())])], now())
    for table in ("results", "results_week"):
        rows = {
            r["test_id"]: r
            for r in await conn.fetch(
                f"SELECT test_id, dns_ms, connect_ms, tls_ms, ttfb_ms, cert_days, extras "
                f"FROM {table} WHERE test_id = any($1)",
                [t1, t2],
            )
        }
        assert {k: rows[t1][k] for k in timings} == timings and rows[t1]["tls_ms"] is None
        assert json.loads(rows[t1]["extras"]) == rest
        assert all(rows[t2][k] is None for k in (*timings, "tls_ms", "extras"))
