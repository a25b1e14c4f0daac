"""The newest state of each test with today's counts, and the worst state of each monitor,
kept per group.

Newest result wins; `since` moves only when the status changes; a late result (older than
what is known) leaves the state alone, so the order batches arrive in does not matter.
The same upsert adds the group's results of today (the processor's UTC day) to the test's
day counters; when the day changes the counters start again and a trigger files the old
day's in `daily_rollups` (migration 0011). Results of other days (late, or from a node whose
clock is off) are added to `daily_rollups` directly (`rollups.add_other_days`).

PostgreSQL works the group out from the rows it already holds (the session table the group
was copied into, `rows.INCOMING`): the newest result and today's counts per test cost it a
sort and a hash, where the processor's one core would pay a Python loop over every result
and an array element per test and column on the wire. Rows go in test id order, so two
processors updating the same tests cannot deadlock.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from result_processor.rows import INCOMING
from shared.messages import CONFIG_ERROR
from shared.rollup_counts import DAY_COUNTS

# State columns taken from the newest result: an older one leaves them.
_NEWEST = ("status", "checked_at", "latency_ms", "http_status", "error_kind", "error", "region")
_COUNTS = ("checks", "failures", "degraded", "latency_count", "latency_sum")
_NEWER = "excluded.checked_at > s.checked_at"
# Misconfigured (the executor refused the config) is a state of its own: entering or leaving
# it moves `since` even when the stored status (DOWN) stays.
_MISCONFIGURED = f"({{}}.error_kind IS NOT DISTINCT FROM '{CONFIG_ERROR}')"

# $1, $2: today's bounds (UTC); $3: today. Changed tests are noted in a session table, not sent
# back: at the start of a deployment every test of a group is new (and so changed).
_UPSERT_TESTS = f"""
WITH newest AS (
    SELECT DISTINCT ON (test_id) {", ".join(("test_id", *_NEWEST))}
    FROM {INCOMING} ORDER BY test_id, checked_at DESC
), today AS (
    SELECT test_id, {DAY_COUNTS}
    FROM {INCOMING} WHERE checked_at >= $1 AND checked_at < $2 GROUP BY test_id
), up AS (
    INSERT INTO test_state AS s
        (test_id, status, since, checked_at, latency_ms, http_status, error_kind, error, region,
         day, {", ".join(f"day_{c}" for c in _COUNTS)})
    SELECT n.test_id, n.status, n.checked_at, n.checked_at, n.latency_ms, n.http_status,
           n.error_kind, n.error, n.region, $3::date,
           {", ".join(f"coalesce(t.{c}, 0)" for c in _COUNTS)}
    FROM newest n LEFT JOIN today t USING (test_id)
    ORDER BY n.test_id
    ON CONFLICT (test_id) DO UPDATE SET
        since = CASE WHEN {_NEWER} AND (s.status <> excluded.status OR {_MISCONFIGURED.format("s")}
                                        <> {_MISCONFIGURED.format("excluded")})
                     THEN excluded.checked_at ELSE s.since END,
        {", ".join(f"{c} = CASE WHEN {_NEWER} THEN excluded.{c} ELSE s.{c} END" for c in _NEWEST)},
        day = excluded.day,
        {
    ", ".join(
        f"day_{c} = CASE WHEN s.day = excluded.day THEN s.day_{c} ELSE 0 END + excluded.day_{c}"
        for c in _COUNTS
    )
}
    RETURNING s.test_id, s.since = s.checked_at AS changed
)
INSERT INTO changed_tests SELECT test_id FROM up WHERE changed
"""

CHANGED = """
CREATE TEMPORARY TABLE IF NOT EXISTS changed_tests (test_id bigint) ON COMMIT DELETE ROWS
"""

# Worst first: DOWN (0), then DEGRADED (2), then UP (1). A misconfigured test (its newest
# result a refused configuration) is not an outage: it counts as DEGRADED here, and the API
# shows it as "misconfigured".
_UPSERT_MONITORS = f"""
INSERT INTO monitor_state AS m (monitor_id, status, since, updated_at)
SELECT t.monitor_id,
       CASE WHEN bool_or(s.status = 0 AND s.error_kind IS DISTINCT FROM '{CONFIG_ERROR}') THEN 0
            WHEN bool_or(s.status = 2 OR s.error_kind = '{CONFIG_ERROR}') THEN 2 ELSE 1 END,
       max(s.since), now()
FROM tests t JOIN test_state s ON s.test_id = t.id
WHERE t.monitor_id IN (SELECT monitor_id FROM tests WHERE id IN (SELECT test_id FROM changed_tests))
GROUP BY t.monitor_id
ORDER BY t.monitor_id
ON CONFLICT (monitor_id) DO UPDATE SET
    since = CASE WHEN m.status = excluded.status THEN m.since ELSE excluded.since END,
    status = excluded.status, updated_at = excluded.updated_at
"""


async def update(conn: asyncpg.Connection, start: datetime, end: datetime) -> int:
    """Update test states and the counts of today, [start, end), from the group's rows; then
    the monitors whose tests changed status (a late result may name a test whose status
    changed earlier: its monitor is recomputed, to the same answer). Returns how many tests
    changed status."""
    await conn.execute(CHANGED)
    status = await conn.execute(_UPSERT_TESTS, start, end, start.date())
    changed = int(status.split()[-1])
    if changed:
        await conn.execute(_UPSERT_MONITORS)
    return changed
