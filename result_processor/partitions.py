"""Partition maintenance: create partitions ahead, rescue rows from the default partition,
drop whole partitions past retention. The plan is `shared.partitioning` (pure); this moves it.

Run at processor start and then periodically. An advisory lock makes one processor of a
cell do it at a time; the others skip that round.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import asyncpg

from shared import partitioning as parts

log = logging.getLogger(__name__)

_LOCK_KEY = 0x5649_4731  # "VIG1": the partition maintenance advisory lock
LOCK_TIMEOUT = "5s"  # DDL waits this long for writers, then the round is retried later


async def existing(conn: asyncpg.Connection, table: str) -> list[str]:
    """Names of the partitions attached to `table`."""
    rows = await conn.fetch(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = $1::regclass",
        table,
    )
    return [r["relname"] for r in rows]


async def stray_periods(conn: asyncpg.Connection, scheme: parts.Scheme) -> list[datetime]:
    """Periods of the rows sitting in the default partition (normally none)."""
    rows = await conn.fetch(
        f"SELECT DISTINCT date_trunc('{scheme.unit}', checked_at AT TIME ZONE 'UTC') AS t "
        f"FROM {scheme.default}"
    )
    return [r["t"].replace(tzinfo=UTC) for r in rows]


async def create(conn: asyncpg.Connection, scheme: parts.Scheme, p: parts.Partition) -> int:
    """Create and attach partition `p`, moving in any rows of its range from the default
    partition first (attaching fails while the default holds such rows). Returns rows moved."""
    bounds = (p.start, p.end)
    async with conn.transaction():
        await conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        await conn.execute(
            f"CREATE TABLE {p.name} (LIKE {scheme.table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        status = await conn.execute(
            f"WITH moved AS (DELETE FROM {scheme.default} "
            f"WHERE checked_at >= $1 AND checked_at < $2 RETURNING *) "
            f"INSERT INTO {p.name} SELECT * FROM moved",
            *bounds,
        )
        await conn.execute(
            f"ALTER TABLE {scheme.table} ATTACH PARTITION {p.name} "
            f"FOR VALUES FROM ('{p.start.isoformat()}') TO ('{p.end.isoformat()}')"
        )
    return int(status.split()[-1])


async def drop(conn: asyncpg.Connection, p: parts.Partition) -> None:
    async with conn.transaction():
        await conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        await conn.execute(f"DROP TABLE {p.name}")


async def purge_default(conn: asyncpg.Connection, scheme: parts.Scheme, now: datetime) -> int:
    """Rows in the default partition that are past retention (a result late beyond the
    week, say) have no partition to go to: they go. The default is normally empty."""
    cutoff = parts.keep_from(scheme, now)
    if cutoff is None:
        return 0
    status = await conn.execute(f"DELETE FROM {scheme.default} WHERE checked_at < $1", cutoff)
    return int(status.split()[-1])


async def maintain(
    conn: asyncpg.Connection, schemes: list[parts.Scheme], now: datetime
) -> dict[str, int] | None:
    """One round for every scheme; None when another processor holds the lock."""
    if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LOCK_KEY):
        return None
    done = {"created": 0, "dropped": 0, "moved": 0, "purged": 0}
    try:
        for scheme in schemes:
            await purge_default_and_plan(conn, scheme, now, done)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    if done["created"] or done["dropped"] or done["purged"]:
        # Prefixed: "created" is a LogRecord attribute, and logging refuses to overwrite it.
        log.info("partitions maintained", extra={f"partitions_{k}": v for k, v in done.items()})
    return done


async def purge_default_and_plan(
    conn: asyncpg.Connection, scheme: parts.Scheme, now: datetime, done: dict[str, int]
) -> None:
    done["purged"] += await purge_default(conn, scheme, now)
    plan = parts.plan(
        scheme, await existing(conn, scheme.table), now, await stray_periods(conn, scheme)
    )
    for p in plan.create:
        done["moved"] += await create(conn, scheme, p)
        done["created"] += 1
    for p in plan.drop:
        await drop(conn, p)
        done["dropped"] += 1
