"""Writing a batch: both result tables, the test states and the batch id, in one transaction.

COPY moves the rows (several times faster than INSERTs); the batch id is inserted first, so a
redelivered batch finds its id taken and is skipped: at-least-once delivery, stored once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import asyncpg

from shared.messages import Result, ResultBatch

RESULT_COLUMNS = ("test_id", "checked_at", "region", "node", "status", "latency_ms",
                  "http_status", "error_kind", "error")

_CLAIM_BATCH = """
INSERT INTO processed_batches (batch_id, node, rows) VALUES ($1, $2, $3)
ON CONFLICT (batch_id) DO NOTHING RETURNING 1
"""

# Newest result wins; `since` moves only when the status changes. A late result (older than
# what is known) leaves the state alone.
_UPSERT_STATE = """
INSERT INTO test_state AS s
    (test_id, status, since, checked_at, latency_ms, http_status, error_kind, error, region)
SELECT t.test_id, t.status, t.checked_at, t.checked_at, t.latency_ms, t.http_status,
       t.error_kind, t.error, $8
FROM unnest($1::bigint[], $2::smallint[], $3::timestamptz[], $4::float8[], $5::smallint[],
            $6::text[], $7::text[])
     AS t(test_id, status, checked_at, latency_ms, http_status, error_kind, error)
ON CONFLICT (test_id) DO UPDATE SET
    since = CASE WHEN s.status = excluded.status THEN s.since ELSE excluded.checked_at END,
    status = excluded.status, checked_at = excluded.checked_at,
    latency_ms = excluded.latency_ms, http_status = excluded.http_status,
    error_kind = excluded.error_kind, error = excluded.error, region = excluded.region
WHERE excluded.checked_at > s.checked_at
"""


def _when(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def records(batch: ResultBatch) -> list[tuple[Any, ...]]:
    return [(r.test_id, _when(r.checked_at_ms), batch.region, batch.node, int(r.status),
             r.latency_ms, r.http_status, r.error_kind, r.error) for r in batch.results]


def newest_per_test(results: list[Result]) -> list[Result]:
    newest: dict[int, Result] = {}
    for r in results:
        if r.test_id not in newest or r.checked_at_ms > newest[r.test_id].checked_at_ms:
            newest[r.test_id] = r
    return list(newest.values())


async def store_batch(conn: asyncpg.Connection, batch: ResultBatch,
                      rejected: list[tuple[Any, str]]) -> bool:
    """Store one decoded batch. Returns False when it was stored before (a redelivery)."""
    async with conn.transaction():
        claimed = await conn.fetchval(_CLAIM_BATCH, batch.batch_id, batch.node,
                                      len(batch.results))
        if not claimed:
            return False
        rows = records(batch)
        if rows:
            await conn.copy_records_to_table("results", records=rows, columns=RESULT_COLUMNS)
            await conn.copy_records_to_table("results_week", records=rows,
                                             columns=RESULT_COLUMNS)
            await _update_state(conn, batch)
        if rejected:
            await conn.executemany(
                "INSERT INTO rejected_results (batch_id, row, reason) VALUES ($1, $2, $3)",
                [(batch.batch_id, json.dumps(row, default=repr), reason)
                 for row, reason in rejected])
    return True


async def _update_state(conn: asyncpg.Connection, batch: ResultBatch) -> None:
    latest = newest_per_test(batch.results)
    await conn.execute(
        _UPSERT_STATE,
        [r.test_id for r in latest], [int(r.status) for r in latest],
        [_when(r.checked_at_ms) for r in latest], [r.latency_ms for r in latest],
        [r.http_status for r in latest], [r.error_kind for r in latest],
        [r.error for r in latest], batch.region)
