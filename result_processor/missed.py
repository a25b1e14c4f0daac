"""Missed deadlines of heartbeat tests: found by an index, claimed once, stored as results.

Every heartbeat row awaiting a ping has `due_at` (when it goes down without one), indexed
where set. The finder sleeps until the earliest `due_at` (at most `MAX_SLEEP_S`, so a new
earlier deadline is seen soon), then claims the rows due with one conditional UPDATE: `due_at`
still past, rows locked by a ping's transaction skipped (that ping re-arms them). A claimed
row is `down` with nothing awaited; the claim and the DOWN result it makes (`missed`, taken
at the deadline) commit in one transaction through the same storing path as every result,
so the incident opens (and is told) as any test's does, and several processors of a cell
never claim one deadline twice. While nothing is due, a look costs one index probe.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

import asyncpg
from prometheus_client import Counter

from result_processor.store import AfterStore, Decoded, store_group
from shared.heartbeat import PUSH_REGION
from shared.messages import Result, ResultBatch, Status

log = logging.getLogger(__name__)

MISSED = Counter("vigil_processor_heartbeats_missed_total", "Heartbeat deadlines missed")
MAX_SLEEP_S = 1.0
MIN_SLEEP_S = 0.02  # a due row locked by a ping's transaction is looked at again soon
CLAIM_LIMIT = 5000  # deadlines claimed in one transaction at most; the rest right after
MISSED_KIND = "missed"

_CLAIM = """
WITH due AS (
    SELECT test_id, due_at FROM heartbeats WHERE due_at <= $1
    ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED
)
UPDATE heartbeats h SET state = 'down', due_at = NULL, late_at = NULL
FROM due WHERE h.test_id = due.test_id AND h.due_at <= $1
RETURNING h.test_id, due.due_at, h.last_success_at
"""
_NEXT = "SELECT min(due_at) FROM heartbeats WHERE due_at IS NOT NULL"


def _result(row: asyncpg.Record) -> Result:
    since = row["last_success_at"]
    text = (
        "no ping since " + since.astimezone(UTC).isoformat(timespec="seconds")
        if since
        else "the run that started did not end in time"
    )
    return Result(
        row["test_id"],
        int(row["due_at"].timestamp() * 1000),
        Status.DOWN,
        None,
        None,
        MISSED_KIND,
        text,
        {"ping": MISSED_KIND},
    )


async def claim_missed(
    conn: asyncpg.Connection, cell: str, node: str, now: datetime, after: list[AfterStore]
) -> int:
    """Claim what is due at `now` and store its DOWN results, in one transaction."""
    async with conn.transaction():
        rows = await conn.fetch(_CLAIM, now, CLAIM_LIMIT)
        if rows:
            batch = ResultBatch(
                uuid.uuid4().bytes, cell, PUSH_REGION, node, [_result(r) for r in rows]
            )
            await store_group(conn, [Decoded(batch)], now, after)
    return len(rows)


async def next_due(conn: asyncpg.Connection) -> datetime | None:
    return await conn.fetchval(_NEXT)


async def find_forever(
    pool: asyncpg.Pool, cell: str, node: str, after: list[AfterStore], wake: asyncio.Event
) -> None:
    """Claim missed deadlines as they come; `wake` is set after each claim that stored."""
    while True:
        try:
            async with pool.acquire() as conn:
                claimed = await claim_missed(conn, cell, node, datetime.now(UTC), after)
                if claimed:
                    MISSED.inc(claimed)
                    wake.set()
                    log.info("heartbeat deadlines missed", extra={"tests": claimed})
                    if claimed == CLAIM_LIMIT:
                        continue
                soonest = await next_due(conn)
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("finding missed heartbeats failed, will retry", extra={"error": str(exc)})
            soonest = None
        wait = MAX_SLEEP_S if soonest is None else (soonest - datetime.now(UTC)).total_seconds()
        await asyncio.sleep(min(max(wait, MIN_SLEEP_S), MAX_SLEEP_S))
