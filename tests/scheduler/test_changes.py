"""Reading only the tests written since the last read (migration 0012's stamps), on the real
PostgreSQL, in a database of this module's own: it truncates and migrates down and up."""

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from alembic import command
from sqlalchemy.ext.asyncio import AsyncEngine

from ops.migrate import alembic_config, upgrade
from scheduler.changes import prune, read_all, read_since
from shared import db
from tests import services

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    name, url = services.create_migrated_database("vigil_chg")
    yield url
    services.drop_database_sync(name)


@pytest.fixture
async def engine(url: str) -> AsyncIterator[AsyncEngine]:
    engine = db.engine(url, pool_size=2)
    yield engine
    await engine.dispose()


async def _insert(conn: asyncpg.Connection, n: int = 1) -> list[int]:
    account = await conn.fetchval(
        "INSERT INTO accounts (email, password_hash) VALUES "
        "('c' || gen_random_uuid() || '@example.com', 'x') RETURNING id"
    )
    monitor = await conn.fetchval(
        "INSERT INTO monitors (account_id, name) VALUES ($1, 'm') RETURNING id", account
    )
    return [
        await conn.fetchval(
            "INSERT INTO tests (monitor_id, account_id, kind, region, interval_s, timeout_s,"
            " config) VALUES ($1, $2, 'http', 'eu', 60, 5, $3::jsonb) RETURNING id",
            monitor,
            account,
            json.dumps({"url": f"http://x/{i}"}),
        )
        for i in range(n)
    ]


def _by_id(rows) -> dict[int, object]:
    return {r.id: r for r in rows}


async def test_a_write_committed_after_a_later_one_is_still_read(url, engine) -> None:
    conn = await asyncpg.connect(url)
    a, b = await asyncpg.connect(url), await asyncpg.connect(url)
    try:
        first, second = await _insert(conn, 2)
        start = await read_all(engine)
        slow, quick = a.transaction(), b.transaction()
        await slow.start()
        await a.execute("UPDATE tests SET interval_s = 30 WHERE id = $1", first)  # no version
        slow_xid = await a.fetchval("SELECT pg_current_xact_id()::text::bigint")
        await quick.start()
        await b.execute("UPDATE tests SET interval_s = 45 WHERE id = $1", second)
        await quick.commit()  # the later transaction commits first

        seen = await read_since(engine, start.xmin)
        assert _by_id(seen.rows)[second].interval_s == 45
        assert first not in _by_id(seen.rows)  # its change is not visible yet
        assert seen.xmin <= slow_xid  # the next read still covers the open transaction
        again = await read_since(engine, seen.xmin)
        await slow.commit()
        late = await read_since(engine, again.xmin)
        assert _by_id(late.rows)[first].interval_s == 30
    finally:
        for c in (conn, a, b):
            await c.close()


async def test_every_write_counts_and_a_deletion_is_read_then_pruned(url, engine) -> None:
    conn = await asyncpg.connect(url)
    try:
        [test_id] = await _insert(conn)
        start = await read_all(engine)
        await conn.execute(
            'UPDATE tests SET config = \'{"url": "http://y/"}\' WHERE id = $1', test_id
        )  # direct SQL, version left alone
        changed = await read_since(engine, start.xmin)
        assert _by_id(changed.rows)[test_id].config == {"url": "http://y/"}

        await conn.execute("DELETE FROM tests WHERE id = $1", test_id)
        gone = await read_since(engine, changed.xmin)
        assert gone.deleted == [test_id] and not gone.truncated
        await prune(engine, gone.seen)
        assert (
            await conn.fetchval("SELECT count(*) FROM test_deletions WHERE test_id = $1", test_id)
            == 0
        )
    finally:
        await conn.close()


async def test_a_deleted_id_written_again_is_alive_not_deleted(url, engine) -> None:
    conn = await asyncpg.connect(url)
    try:
        [test_id] = await _insert(conn)
        start = await read_all(engine)
        row = await conn.fetchrow("DELETE FROM tests WHERE id = $1 RETURNING *", test_id)
        await conn.execute(
            "INSERT INTO tests (id, monitor_id, account_id, kind, region, interval_s, timeout_s,"
            " config) VALUES ($1, $2, $3, 'http', 'eu', 60, 5, '{}')",
            test_id,
            row["monitor_id"],
            row["account_id"],
        )
        read = await read_since(engine, start.xmin)
        assert test_id in _by_id(read.rows) and test_id not in read.deleted
    finally:
        await conn.close()


async def test_a_truncate_asks_for_a_full_read_and_a_full_read_prunes(url, engine) -> None:
    conn = await asyncpg.connect(url)
    try:
        await _insert(conn, 3)
        start = await read_all(engine)
        await conn.execute("TRUNCATE tests CASCADE")
        read = await read_since(engine, start.xmin)
        assert read.truncated
        await conn.execute("DELETE FROM test_deletions")
        ids = await _insert(conn, 2)
        await conn.execute("DELETE FROM tests WHERE id = $1", ids[0])
        full = await read_all(engine)
        assert set(_by_id(full.rows)) == {ids[1]}
        await prune(engine, full.seen, below=full.xmin)
        assert await conn.fetchval("SELECT count(*) FROM test_deletions") == 0
    finally:
        await conn.close()


def test_migration_down_and_up_stamps_the_rows_it_finds(url) -> None:
    async def run(sql: str) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetch(sql)
        finally:
            await conn.close()

    command.downgrade(alembic_config(url), "0011_timings_day_counts")
    assert not asyncio.run(
        run(
            "SELECT 1 FROM information_schema.columns WHERE "
            "table_name = 'tests' AND column_name = 'change_xid'"
        )
    )
    asyncio.run(
        run("""
        WITH a AS (INSERT INTO accounts (email, password_hash) VALUES ('old@example.com', 'x')
                   RETURNING id),
             m AS (INSERT INTO monitors (account_id, name) SELECT id, 'm' FROM a
                   RETURNING id, account_id)
        INSERT INTO tests (monitor_id, account_id, kind, region, interval_s, timeout_s, config)
        SELECT m.id, m.account_id, 'http', 'eu', 60, 5, '{}' FROM m""")
    )
    upgrade(url)
    rows = asyncio.run(run("SELECT change_xid FROM tests"))
    assert rows and all(r["change_xid"] > 0 for r in rows)
