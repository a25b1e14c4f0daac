"""Adding results' counts to the daily rollups, in one statement shape: the processor adds a
group's results of other days, the account move the late results the old cell counted.

Additions commute (each is `+=` under the (test, day) key), so writers that overlap, or
disagree about midnight, only add in a different order; rows go in key order, so two
writers cannot deadlock.
"""

from __future__ import annotations

from shared.messages import Status

# A day's counts of a set of results (rows shaped as the result tables'), as rollups keep them.
DAY_COUNTS = (
    f"count(*) AS checks, count(*) FILTER (WHERE status = {int(Status.DOWN)}) AS "
    f"failures, count(*) FILTER (WHERE status = {int(Status.DEGRADED)}) AS degraded, "
    "count(latency_ms) AS latency_count, coalesce(sum(latency_ms), 0) AS latency_sum"
)


def add_counts(rows: str, where: str = "true") -> str:
    """The statement adding the counts of `rows` (a table or a set-returning expression with
    test_id, checked_at, status and latency_ms) that match `where`, per test and UTC day."""
    return f"""
INSERT INTO daily_rollups AS r
    (test_id, day, checks, failures, degraded, latency_count, latency_sum)
SELECT test_id, (checked_at AT TIME ZONE 'UTC')::date, {DAY_COUNTS}
FROM {rows} WHERE {where}
GROUP BY 1, 2 ORDER BY 1, 2
ON CONFLICT (test_id, day) DO UPDATE SET
    checks = r.checks + excluded.checks, failures = r.failures + excluded.failures,
    degraded = r.degraded + excluded.degraded,
    latency_count = r.latency_count + excluded.latency_count,
    latency_sum = r.latency_sum + excluded.latency_sum
"""
