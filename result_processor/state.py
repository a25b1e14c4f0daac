"""The newest state of each test with today's counts, and the worst state of each monitor,
kept per group.

Newest result wins; `since` moves only when the status changes; a late result (older than
what is known) leaves the state alone, so the order batches arrive in does not matter.
The same upsert adds the group's results of today (the processor's UTC day) to the test's
day counters; when the day changes the counters start again and a trigger files the old
day's in `daily_rollups` (migration 0011). Results of other days (late, or from a node whose
clock is off) are added to `daily_rollups` directly (`rollups.add`): few, usually none.
Rows go in test id order, so two processors updating the same tests cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg

from result_processor.rollups import DAY_MS, EPOCH_DAY, Delta
from result_processor.rows import when
from shared.messages import Result, ResultBatch, Status

# State columns taken from the newest result: an older one leaves them.
_NEWEST = ("status", "checked_at", "latency_ms", "http_status", "error_kind", "error", "region")
_COUNTS = ("checks", "failures", "degraded", "latency_count", "latency_sum")
_NEWER = "excluded.checked_at > s.checked_at"

_UPSERT_TESTS = f"""
WITH up AS (
INSERT INTO test_state AS s
    (test_id, status, since, checked_at, latency_ms, http_status, error_kind, error, region,
     day, {", ".join(f"day_{c}" for c in _COUNTS)})
SELECT t.test_id, t.status, t.checked_at, t.checked_at, t.latency_ms, t.http_status,
       t.error_kind, t.error, t.region, $9::date, t.checks, t.failures, t.degraded,
       t.latency_count, t.latency_sum
FROM unnest($1::bigint[], $2::smallint[], $3::timestamptz[], $4::float8[], $5::smallint[],
            $6::text[], $7::text[], $8::text[], $10::int[], $11::int[], $12::int[],
            $13::int[], $14::float8[])
     AS t(test_id, status, checked_at, latency_ms, http_status, error_kind, error, region,
          checks, failures, degraded, latency_count, latency_sum)
ON CONFLICT (test_id) DO UPDATE SET
    since = CASE WHEN {_NEWER} AND s.status <> excluded.status THEN excluded.checked_at
                 ELSE s.since END,
    {", ".join(f"{c} = CASE WHEN {_NEWER} THEN excluded.{c} ELSE s.{c} END" for c in _NEWEST)},
    day = excluded.day,
    {", ".join(f"day_{c} = CASE WHEN s.day = excluded.day THEN s.day_{c} ELSE 0 END"
               f" + excluded.day_{c}" for c in _COUNTS)}
RETURNING s.test_id, s.since = s.checked_at AS changed
)
SELECT test_id FROM up WHERE changed
"""

# Worst first: DOWN (0), then DEGRADED (2), then UP (1).
_UPSERT_MONITORS = """
INSERT INTO monitor_state AS m (monitor_id, status, since, updated_at)
SELECT t.monitor_id,
       CASE WHEN bool_or(s.status = 0) THEN 0 WHEN bool_or(s.status = 2) THEN 2 ELSE 1 END,
       max(s.since), now()
FROM tests t JOIN test_state s ON s.test_id = t.id
WHERE t.monitor_id IN (SELECT monitor_id FROM tests WHERE id = ANY($1::bigint[]))
GROUP BY t.monitor_id
ORDER BY t.monitor_id
ON CONFLICT (monitor_id) DO UPDATE SET
    since = CASE WHEN m.status = excluded.status THEN m.since ELSE excluded.since END,
    status = excluded.status, updated_at = excluded.updated_at
"""


@dataclass
class Summary:
    """What a group says per test: its newest result (with region) and today's counts
    (checks, failures, degraded, latency count, latency sum); and the counts of other days
    per (test, epoch day)."""

    newest: dict[int, list] = field(default_factory=dict)
    other_days: dict[tuple[int, int], Delta] = field(default_factory=dict)


def summarise(batches: Sequence[ResultBatch], today: int) -> Summary:
    """One pass over every result of a group (the hot path: plain loops)."""
    out = Summary()
    newest, other_days = out.newest, out.other_days
    down, degraded = Status.DOWN, Status.DEGRADED
    for b in batches:
        region = b.region
        for r in b.results:
            at = r.checked_at_ms
            s = newest.get(r.test_id)
            if s is None:
                s = newest[r.test_id] = [r, region, 0, 0, 0, 0, 0.0]
            elif at > s[0].checked_at_ms:
                s[0], s[1] = r, region
            if at // DAY_MS != today:
                key = (r.test_id, at // DAY_MS)
                s = other_days.get(key)
                if s is None:
                    s = other_days[key] = [r, region, 0, 0, 0, 0, 0.0]
            s[2] += 1
            status = r.status
            if status is down:
                s[3] += 1
            elif status is degraded:
                s[4] += 1
            if r.latency_ms is not None:
                s[5] += 1
                s[6] += r.latency_ms
    out.other_days = {k: v[2:] for k, v in other_days.items()}
    return out


async def update(conn: asyncpg.Connection, summary: Summary, today: int) -> list[int]:
    """Update test states and today's counts; then the monitors whose tests changed status.
    Returns the tests that changed status (a late result may name a test whose status
    changed earlier: its monitor is recomputed, to the same answer)."""
    latest = [summary.newest[k] for k in sorted(summary.newest)]
    results: list[Result] = [s[0] for s in latest]
    changed = await conn.fetch(
        _UPSERT_TESTS,
        [r.test_id for r in results], [int(r.status) for r in results],
        [when(r.checked_at_ms) for r in results], [r.latency_ms for r in results],
        [r.http_status for r in results], [r.error_kind for r in results],
        [r.error for r in results], [s[1] for s in latest],
        EPOCH_DAY + timedelta(days=today), *([s[i] for s in latest] for i in range(2, 7)))
    ids = [row["test_id"] for row in changed]
    if ids:
        await conn.execute(_UPSERT_MONITORS, ids)
    return ids
