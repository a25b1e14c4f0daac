"""Daily rollups per test: counts kept in the storing transaction, percentiles at day close.

Counts (checks, failures, degraded, latency count and sum) are added per group, summed in
Python first, so a test checked many times in a group costs one upsert. Latency
percentiles are exact, computed once a day has closed (plus a grace for late results) from
that day's partition of the week table, and the row is then sealed. A result later than
that still counts in the day's checks and failures; it no longer moves its percentiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import asyncpg

from shared.messages import ResultBatch, Status

DAY_MS = 86_400_000
SEAL_GRACE = timedelta(minutes=15)
_EPOCH_DAY = date(1970, 1, 1)

_UPSERT = """
INSERT INTO daily_rollups AS r
    (test_id, day, checks, failures, degraded, latency_count, latency_sum)
SELECT * FROM unnest($1::bigint[], $2::date[], $3::int[], $4::int[], $5::int[], $6::int[],
                     $7::float8[])
ON CONFLICT (test_id, day) DO UPDATE SET
    checks = r.checks + excluded.checks, failures = r.failures + excluded.failures,
    degraded = r.degraded + excluded.degraded,
    latency_count = r.latency_count + excluded.latency_count,
    latency_sum = r.latency_sum + excluded.latency_sum
"""

_SEAL = """
UPDATE daily_rollups r
SET p50_ms = p.q[1], p95_ms = p.q[2], p99_ms = p.q[3], sealed = true
FROM (
    SELECT u.test_id, (SELECT percentile_cont(ARRAY[0.5, 0.95, 0.99])
                       WITHIN GROUP (ORDER BY w.latency_ms)
                       FROM results_week w
                       WHERE w.test_id = u.test_id AND w.checked_at >= $2
                         AND w.checked_at < $3 AND w.latency_ms IS NOT NULL) AS q
    FROM daily_rollups u WHERE u.day = $1 AND NOT u.sealed
) p
WHERE r.test_id = p.test_id AND r.day = $1
"""

Delta = list[float]  # checks, failures, degraded, latency count, latency sum


def deltas(batches: Sequence[ResultBatch]) -> dict[tuple[int, int], Delta]:
    """What a group adds to each (test, epoch day)."""
    out: dict[tuple[int, int], Delta] = {}
    down, degraded = Status.DOWN, Status.DEGRADED
    for b in batches:
        for r in b.results:
            key = (r.test_id, r.checked_at_ms // DAY_MS)
            d = out.get(key)
            if d is None:
                d = out[key] = [0, 0, 0, 0, 0.0]
            d[0] += 1
            if r.status is down:
                d[1] += 1
            elif r.status is degraded:
                d[2] += 1
            if r.latency_ms is not None:
                d[3] += 1
                d[4] += r.latency_ms
    return out


async def add(conn: asyncpg.Connection, batches: Sequence[ResultBatch]) -> None:
    """Add a group's counts; rows in key order so concurrent processors cannot deadlock."""
    found = deltas(batches)
    keys = sorted(found)
    cols: list[list[object]] = [[k[0] for k in keys],
                                [_EPOCH_DAY + timedelta(days=k[1]) for k in keys]]
    for i in range(5):
        cols.append([found[k][i] for k in keys])
    await conn.execute(_UPSERT, *cols)


def days_to_seal(now: datetime, oldest: date) -> list[date]:
    """Closed days (past their grace) from `oldest` on, that the week table still holds."""
    now = now.astimezone(UTC)
    last = (now - SEAL_GRACE).date() - timedelta(days=1)
    first = max(oldest, (now - timedelta(days=6)).date())
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


async def seal(conn: asyncpg.Connection, now: datetime) -> int:
    """Compute the percentiles of closed days not sealed yet. Returns rows sealed."""
    oldest = await conn.fetchval("SELECT min(day) FROM daily_rollups WHERE NOT sealed")
    if oldest is None:
        return 0
    sealed = 0
    for day in days_to_seal(now, oldest):
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        status = await conn.execute(_SEAL, day, start, start + timedelta(days=1))
        sealed += int(status.split()[-1])
    return sealed
