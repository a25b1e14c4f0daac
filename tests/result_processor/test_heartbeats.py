"""Pings stored by the processor as results of their test (both tables, state, incidents), and
missed deadlines claimed once however many finders look."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from result_processor import certs, incidents
from result_processor.missed import claim_missed
from result_processor.store import Decoded, store_group
from shared.messages import Ping, PingBatch
from tests.helpers import short_name

pytestmark = pytest.mark.integration
AFTER = [incidents.evaluate, certs.evaluate]


async def heartbeat_test(
    conn: asyncpg.Connection, interval_s: int = 60, config: dict | None = None
) -> int:
    account = await conn.fetchval(
        "INSERT INTO accounts (email, password_hash) VALUES ($1, 'x') RETURNING id",
        f"{short_name('u')}@example.com",
    )
    monitor = await conn.fetchval(
        "INSERT INTO monitors (account_id, name) VALUES ($1, 'job') RETURNING id", account
    )
    test = await conn.fetchval(
        "INSERT INTO tests (monitor_id, account_id, kind, region, regions, interval_s, timeout_s,"
        " config) VALUES ($1, $2, 'heartbeat', 'local', '{local}', $3, 10, $4) RETURNING id",
        monitor,
        account,
        interval_s,
        json.dumps(config or {"grace_s": 30}),
    )
    await conn.execute(
        "INSERT INTO heartbeats (test_id, token) VALUES ($1, $2)", test, uuid.uuid4().hex
    )
    return test


def pings(*items: Ping) -> Decoded:
    return Decoded.of_pings(PingBatch(uuid.uuid4().bytes, "a", "api-1", list(items)), [])


def at(seconds_ago: float) -> int:
    return int((time.time() - seconds_ago) * 1000)


async def test_pings_become_results_in_both_tables_and_move_the_state(
    conn: asyncpg.Connection,
) -> None:
    test = await heartbeat_test(conn)
    group = pings(
        Ping(test, at(30), "start", rid="r"),
        Ping(test, at(20), "success", rid="r", body=b"done\0", source="10.1.2.3"),
        Ping(test, at(10), "log", body=b"note"),
    )
    stored = await store_group(conn, [group], datetime.now(UTC), AFTER)
    assert stored.results == 1 and stored.batches == 1
    for table in ("results", "results_week"):
        row = await conn.fetchrow(
            f"SELECT status, latency_ms, region, extras FROM {table} WHERE test_id = $1", test
        )
        assert (row["status"], row["region"]) == (1, "push")
        assert 9_000 < row["latency_ms"] < 11_000  # the run's duration
        assert json.loads(row["extras"]) == {"ping": "success"}
    beat = await conn.fetchrow("SELECT * FROM heartbeats WHERE test_id = $1", test)
    assert beat["state"] == "up" and beat["pings"] == 3 and json.loads(beat["starts"]) == {}
    assert beat["late_at"] - beat["last_success_at"] == timedelta(seconds=60)
    assert beat["due_at"] - beat["late_at"] == timedelta(seconds=30)
    log = await conn.fetch(
        "SELECT kind, body, source FROM heartbeat_pings WHERE test_id = $1 ORDER BY n", test
    )
    assert [(r["kind"], r["body"]) for r in log] == [
        ("start", ""),
        ("success", "done"),
        ("log", "note"),
    ]
    assert log[1]["source"] == "10.1.2.3"
    state = await conn.fetchval("SELECT status FROM test_state WHERE test_id = $1", test)
    assert state == 1
    # The same batch again (a redelivery) changes nothing.
    again = await store_group(conn, [group], datetime.now(UTC), AFTER)
    assert again.duplicates == 1
    assert await conn.fetchval("SELECT pings FROM heartbeats WHERE test_id = $1", test) == 3


async def test_a_fail_ping_opens_an_incident_at_once_and_a_success_ends_it(
    conn: asyncpg.Connection,
) -> None:
    test = await heartbeat_test(conn)
    await store_group(conn, [pings(Ping(test, at(20), "fail"))], datetime.now(UTC), AFTER)
    incident = await conn.fetchrow(
        "SELECT state, resolved_at FROM incidents WHERE test_id = $1", test
    )
    assert incident["state"] == "down" and incident["resolved_at"] is None
    await store_group(conn, [pings(Ping(test, at(10), "success"))], datetime.now(UTC), AFTER)
    assert (
        await conn.fetchval("SELECT resolved_at FROM incidents WHERE test_id = $1", test)
        is not None
    )
    assert await conn.fetchval("SELECT count(*) FROM incidents WHERE test_id = $1", test) == 1


async def test_a_missed_deadline_is_claimed_once_by_concurrent_finders(
    conn: asyncpg.Connection, database_url: str
) -> None:
    tests = [await heartbeat_test(conn, interval_s=5, config={"grace_s": 1}) for _ in range(20)]
    past = datetime.now(UTC) - timedelta(seconds=2)
    await conn.execute(
        "UPDATE heartbeats SET state = 'up', last_success_at = $2, "
        "late_at = $2, due_at = $2 WHERE test_id = any($1::bigint[])",
        tests,
        past,
    )
    pool = await asyncpg.create_pool(database_url, min_size=4, max_size=4)
    try:

        async def find() -> int:
            async with pool.acquire() as c:
                return await claim_missed(c, "a", "proc", datetime.now(UTC), AFTER)

        claimed = await asyncio.gather(*(find() for _ in range(4)))
    finally:
        await pool.close()
    assert sum(claimed) == 20
    rows = await conn.fetch(
        "SELECT test_id, count(*) AS n FROM incidents WHERE test_id = any($1::bigint[]) GROUP BY 1",
        tests,
    )
    assert len(rows) == 20 and all(r["n"] == 1 for r in rows)
    down = await conn.fetch(
        "SELECT error_kind, checked_at FROM results_week WHERE test_id = any($1::bigint[])", tests
    )
    assert len(down) == 20 and {r["error_kind"] for r in down} == {"missed"}
    assert all(abs((r["checked_at"] - past).total_seconds()) < 0.01 for r in down)
    left = await conn.fetchval(
        "SELECT count(*) FROM heartbeats WHERE test_id = any($1::bigint[])"
        " AND (due_at IS NOT NULL OR state <> 'down')",
        tests,
    )
    assert left == 0
    assert await claim_missed(conn, "a", "proc", datetime.now(UTC), AFTER) == 0


async def test_a_ping_of_a_deleted_test_is_dropped(conn: asyncpg.Connection) -> None:
    test = await heartbeat_test(conn)
    await conn.execute("DELETE FROM tests WHERE id = $1", test)
    stored = await store_group(
        conn, [pings(Ping(test, at(1), "success"))], datetime.now(UTC), AFTER
    )
    assert stored.batches == 1 and stored.results == 0
