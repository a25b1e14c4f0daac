"""Pings of heartbeat tests, turned into results inside the storing transaction.

A ping batch's id is claimed like a result batch's (`store.claim`), so a redelivered batch
changes nothing twice. Then, for the batch's tests (rows locked in id order: two writers
never deadlock, and a ping and the deadline finder never race), `pings.step` works out what
each ping did; each test's row gets its new state and deadlines, every ping goes into the
test's ring of last pings, and the successes and failures come back as a result batch that
the group stores as it stores every other (both result tables, state, rollups, incidents).
"""

from __future__ import annotations

import json
from datetime import datetime

import asyncpg

from result_processor.pings import Beat, deadlines, step
from result_processor.rows import when
from shared.heartbeat import KIND, PUSH_REGION, schedule_of
from shared.messages import PingBatch, Result, ResultBatch
from shared.tables import PING_LOG_SIZE

_LOCK = f"""
SELECT h.test_id, h.state, h.last_success_at, h.starts, h.pings, t.enabled, t.interval_s,
       t.config
FROM heartbeats h JOIN tests t ON t.id = h.test_id AND t.kind = '{KIND}'
WHERE h.test_id = any($1::bigint[])
ORDER BY h.test_id FOR UPDATE OF h
"""

_SAVE = """
UPDATE heartbeats h SET state = u.state, last_ping_at = greatest(h.last_ping_at, u.last_ping),
       last_success_at = u.last_success, late_at = u.late_at, due_at = u.due_at,
       starts = u.starts, pings = u.pings
FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[],
            $6::timestamptz[], $7::jsonb[], $8::bigint[])
     AS u(test_id, state, last_ping, last_success, late_at, due_at, starts, pings)
WHERE h.test_id = u.test_id
"""

_LOG = """
INSERT INTO heartbeat_pings AS p (test_id, slot, n, at, kind, exit_status, duration_ms, rid,
                                  method, source, user_agent, body)
SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::bigint[], $4::timestamptz[],
                     $5::text[], $6::smallint[], $7::float8[], $8::text[], $9::text[],
                     $10::text[], $11::text[], $12::text[])
ORDER BY 1, 2
ON CONFLICT (test_id, slot) DO UPDATE SET
    n = excluded.n, at = excluded.at, kind = excluded.kind, exit_status = excluded.exit_status,
    duration_ms = excluded.duration_ms, rid = excluded.rid, method = excluded.method,
    source = excluded.source, user_agent = excluded.user_agent, body = excluded.body
"""


def _text(value: str | bytes) -> str:
    """Text PostgreSQL can hold: a body's bytes decoded (bad UTF-8 replaced), NUL dropped."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return text.replace("\0", "")


def _ms(t: datetime | None) -> int | None:
    return None if t is None else int(t.timestamp() * 1000)


def _at(ms: int | None) -> datetime | None:
    return None if ms is None else when(ms)


async def results_of(conn: asyncpg.Connection, batch: PingBatch) -> ResultBatch:
    """Apply the batch's pings to their tests; the results they make (pings of tests that
    are gone are dropped: a deleted test alerts nobody)."""
    ids = sorted({p.test_id for p in batch.pings})
    rows = {r["test_id"]: r for r in await conn.fetch(_LOCK, ids)}
    beats = {
        i: Beat(r["state"], _ms(r["last_success_at"]), json.loads(r["starts"]), r["enabled"])
        for i, r in rows.items()
    }
    counts = {i: r["pings"] for i, r in rows.items()}
    last_ping: dict[int, int] = {}
    results: list[Result] = []
    log: list[tuple[object, ...]] = []
    for ping in sorted(batch.pings, key=lambda p: (p.test_id, p.at_ms)):
        beat = beats.get(ping.test_id)
        if beat is None:
            continue
        outcome = step(beat, ping)
        if outcome.result is not None:
            results.append(outcome.result)
        counts[ping.test_id] += 1
        last_ping[ping.test_id] = ping.at_ms
        n = counts[ping.test_id]
        log.append(
            (
                ping.test_id,
                n % PING_LOG_SIZE,
                n,
                when(ping.at_ms),
                ping.kind,
                ping.exit_status,
                outcome.duration_ms,
                ping.rid,
                ping.method,
                _text(ping.source),
                _text(ping.user_agent),
                _text(ping.body),
            )
        )
    await _save(conn, beats, rows, counts, last_ping)
    if log:
        await conn.execute(_LOG, *map(list, zip(*log, strict=True)))
    return ResultBatch(batch.batch_id, batch.cell, PUSH_REGION, batch.node, results)


async def _save(
    conn: asyncpg.Connection,
    beats: dict[int, Beat],
    rows: dict[int, asyncpg.Record],
    counts: dict[int, int],
    last_ping: dict[int, int],
) -> None:
    touched = sorted(last_ping)
    if not touched:
        return
    columns: list[list[object]] = [[] for _ in range(8)]
    for test_id in touched:
        beat, row = beats[test_id], rows[test_id]
        late_at, due_at = deadlines(beat, schedule_of(row["interval_s"], _config(row)))
        for column, value in zip(
            columns,
            (
                test_id,
                beat.state,
                when(last_ping[test_id]),
                _at(beat.last_success_ms),
                _at(late_at),
                _at(due_at),
                json.dumps(beat.starts),
                counts[test_id],
            ),
            strict=True,
        ):
            column.append(value)
    await conn.execute(_SAVE, *columns)


def _config(row: asyncpg.Record) -> dict[str, object]:
    raw = row["config"]
    return json.loads(raw) if isinstance(raw, str) else raw
