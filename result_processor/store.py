"""Writing a group of batches in one transaction: batch ids, both result tables (COPY), test
and monitor state with today's counts (one upsert per test), other days' rollups,
incidents, rejected rows.

Several batches share a transaction under load (one commit instead of many). Each batch id
is claimed first; a batch whose id is already taken was stored before (a redelivery, or the
executor's retry of a batch whose confirm was lost) and is skipped whole. A second
processor claiming the same id waits on the unique index until the first commits, then
skips: two processors on one queue store nothing twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import asyncpg

from result_processor import heartbeats, rollups, state
from result_processor.rows import INCOMING, RESULT_COLUMNS, records
from shared import partitioning as parts
from shared.heartbeat import PUSH_REGION
from shared.messages import PingBatch, ResultBatch

_CLAIM = """
INSERT INTO processed_batches (batch_id, node, rows)
SELECT * FROM unnest($1::bytea[], $2::text[], $3::int[])
ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id
"""


@dataclass
class Decoded:
    """One batch as the processor holds it: its good rows and its rejected rows. A batch of
    heartbeat pings carries them in `pings`; its results are worked out once its id is
    claimed (`heartbeats.results_of`), in the storing transaction."""

    batch: ResultBatch
    rejected: list[tuple[Any, str]] = field(default_factory=list)
    pings: PingBatch | None = None

    @property
    def rows(self) -> int:
        return len(self.pings.pings) if self.pings is not None else len(self.batch.results)

    @classmethod
    def of_pings(cls, pings: PingBatch, rejected: list[tuple[Any, str]]) -> Decoded:
        empty = ResultBatch(pings.batch_id, pings.cell, PUSH_REGION, pings.node, [])
        return cls(empty, rejected, pings)


@dataclass
class Stored:
    batches: int = 0
    duplicates: int = 0
    results: int = 0
    rejected: int = 0
    # Results stored without some of their extras (test id, what was wrong with them).
    trimmed: list[tuple[int, str]] = field(default_factory=list)


# Hooks run inside the transaction after the rows are in (incidents, for one).
AfterStore = Callable[[asyncpg.Connection, list[ResultBatch], datetime], Any]


def unique_batches(group: Sequence[Decoded]) -> list[Decoded]:
    """The same batch twice in one group (an executor's retry) counts once."""
    seen: dict[bytes, Decoded] = {}
    for d in group:
        seen.setdefault(d.batch.batch_id, d)
    return list(seen.values())


async def claim(conn: asyncpg.Connection, group: Sequence[Decoded]) -> list[Decoded]:
    """Claim the batch ids; returns the batches not stored before."""
    ids = [d.batch.batch_id for d in group]
    claimed = await conn.fetch(_CLAIM, ids, [d.batch.node for d in group], [d.rows for d in group])
    fresh = {r["batch_id"] for r in claimed}
    return [d for d in group if d.batch.batch_id in fresh]


_COLUMNS = ", ".join(RESULT_COLUMNS)
# The group's rows are encoded and sent once, into a temporary table of the session, and
# PostgreSQL copies them into both result tables: encoding a row for COPY is the costliest
# Python step left after decoding, and the processor's one core is the bottleneck, not
# PostgreSQL's. ON COMMIT DELETE ROWS empties it at each commit (cheap: no WAL, local).
_INCOMING = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {INCOMING} ON COMMIT DELETE ROWS AS
SELECT {_COLUMNS} FROM results WITH NO DATA
"""
_TO_RESULTS = f"INSERT INTO results ({_COLUMNS}) SELECT {_COLUMNS} FROM {INCOMING}"
_TO_WEEK = (
    f"INSERT INTO results_week ({_COLUMNS}) SELECT {_COLUMNS} FROM {INCOMING} "
    "WHERE $1::timestamptz IS NULL OR checked_at >= $1"
)


async def copy_rows(conn: asyncpg.Connection, batches: Sequence[ResultBatch], now: datetime) -> int:
    """COPY every row into the full table, and the rows of the last week into the week
    table (a result late by more than a week belongs to history only)."""
    rows = [row for b in batches for row in records(b)]
    if not rows:
        return 0
    await conn.execute(_INCOMING)
    await conn.copy_records_to_table(INCOMING, records=rows, columns=RESULT_COLUMNS)
    await conn.execute(_TO_RESULTS)
    await conn.execute(_TO_WEEK, parts.keep_from(parts.WEEK, now))
    return len(rows)


async def set_aside(conn: asyncpg.Connection, group: Sequence[Decoded]) -> int:
    rows = [
        (d.batch.batch_id, json.dumps(row, default=repr), reason)
        for d in group
        for row, reason in d.rejected
    ]
    if rows:
        await conn.executemany(
            "INSERT INTO rejected_results (batch_id, row, reason) VALUES ($1, $2, $3)", rows
        )
    return len(rows)


async def store_group(
    conn: asyncpg.Connection,
    group: Sequence[Decoded],
    now: datetime,
    after: Sequence[AfterStore] = (),
) -> Stored:
    """Store a group of decoded batches in one transaction; the caller acks after."""
    unique = unique_batches(group)
    out = Stored(duplicates=len(group) - len(unique))
    async with conn.transaction():
        fresh = await claim(conn, unique)
        out.duplicates += len(unique) - len(fresh)
        out.batches = len(fresh)
        if not fresh:
            return out
        for d in fresh:
            if d.pings is not None:
                d.batch = await heartbeats.results_of(conn, d.pings)
        batches = [d.batch for d in fresh]
        out.results = await copy_rows(conn, batches, now)
        if out.results:
            start = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
            end = start + timedelta(days=1)
            await state.update(conn, start, end)
            await rollups.add_other_days(conn, start, end)
            for hook in after:
                await hook(conn, batches, now)
        out.rejected = await set_aside(conn, fresh)
        out.trimmed = [t for b in batches for t in b.trimmed]
    return out


async def prune_batch_ids(conn: asyncpg.Connection, older_than: datetime) -> int:
    """Forget batch ids older than any redelivery can be (a region cut off for weeks)."""
    status = await conn.execute("DELETE FROM processed_batches WHERE processed_at < $1", older_than)
    return int(status.split()[-1])
