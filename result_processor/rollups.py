"""Daily rollups per test: counts kept in the storing transaction, percentiles at day close.

Counts (checks, failures, degraded, latency count and sum) of the test's current day are
kept in its `test_state` row by the same upsert as its state (`state.py`), and filed here
by a trigger when the day changes, or by `file_past_days` for a test no longer checked.
Results of other days are added here per group (`add_other_days`), summed by PostgreSQL
from the group's rows. Latency percentiles are exact, computed once a day has closed (plus a
grace for late results) from that day's partition of the week table, and the row is then
sealed. A result later than
that still counts in the day's checks and failures; it no longer moves its percentiles.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import asyncpg

from result_processor.rows import INCOMING
from shared.rollup_counts import add_counts

SEAL_GRACE = timedelta(minutes=15)

# The group's results outside today ($1, $2: today's bounds): usually none.
_OTHER_DAYS = add_counts(INCOMING, "checked_at < $1 OR checked_at >= $2")

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

# Counts of days before $1 still held in test_state go to daily_rollups (the trigger of
# migration 0011 files them as `day` changes). Locked in key order, as the writers do.
_FILE_PAST_DAYS = """
UPDATE test_state s
SET day = NULL, day_checks = 0, day_failures = 0, day_degraded = 0, day_latency_count = 0,
    day_latency_sum = 0
FROM (SELECT test_id FROM test_state WHERE day < $1 ORDER BY test_id FOR UPDATE) past
WHERE s.test_id = past.test_id AND s.day < $1
"""


async def add_other_days(conn: asyncpg.Connection, start: datetime, end: datetime) -> None:
    """Add the group's results of days other than [start, end) to their rollups."""
    await conn.execute(_OTHER_DAYS, start, end)


async def file_past_days(conn: asyncpg.Connection, today: date) -> int:
    """File the counts of tests not checked since an earlier day (a paused or deleted
    test, a quiet region): before sealing, so a closed day's row is complete."""
    status = await conn.execute(_FILE_PAST_DAYS, today)
    return int(status.split()[-1])


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
