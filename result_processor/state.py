"""The newest state of each test, and the worst state of each monitor, kept per group.

Newest result wins; `since` moves only when the status changes; a late result (older than
what is known) leaves the state alone, so the order batches arrive in does not matter.
Rows go in test id order, so two processors updating the same tests cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from result_processor.rows import when
from shared.messages import Result, ResultBatch

_UPSERT_TESTS = """
INSERT INTO test_state AS s
    (test_id, status, since, checked_at, latency_ms, http_status, error_kind, error, region)
SELECT t.test_id, t.status, t.checked_at, t.checked_at, t.latency_ms, t.http_status,
       t.error_kind, t.error, t.region
FROM unnest($1::bigint[], $2::smallint[], $3::timestamptz[], $4::float8[], $5::smallint[],
            $6::text[], $7::text[], $8::text[])
     AS t(test_id, status, checked_at, latency_ms, http_status, error_kind, error, region)
ON CONFLICT (test_id) DO UPDATE SET
    since = CASE WHEN s.status = excluded.status THEN s.since ELSE excluded.checked_at END,
    status = excluded.status, checked_at = excluded.checked_at,
    latency_ms = excluded.latency_ms, http_status = excluded.http_status,
    error_kind = excluded.error_kind, error = excluded.error, region = excluded.region
WHERE excluded.checked_at > s.checked_at
RETURNING s.test_id, s.since = s.checked_at AS changed
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


def newest_per_test(batches: Sequence[ResultBatch]) -> list[tuple[Result, str]]:
    """The newest result of each test with its region, in test id order."""
    newest: dict[int, tuple[Result, str]] = {}
    for b in batches:
        for r in b.results:
            known = newest.get(r.test_id)
            if known is None or r.checked_at_ms > known[0].checked_at_ms:
                newest[r.test_id] = (r, b.region)
    return [newest[k] for k in sorted(newest)]


async def update(conn: asyncpg.Connection, batches: Sequence[ResultBatch]) -> list[int]:
    """Update test states; then the monitors whose tests changed status. Returns the tests
    that changed status."""
    latest = newest_per_test(batches)
    changed = await conn.fetch(
        _UPSERT_TESTS,
        [r.test_id for r, _ in latest], [int(r.status) for r, _ in latest],
        [when(r.checked_at_ms) for r, _ in latest], [r.latency_ms for r, _ in latest],
        [r.http_status for r, _ in latest], [r.error_kind for r, _ in latest],
        [r.error for r, _ in latest], [region for _, region in latest])
    ids = [row["test_id"] for row in changed if row["changed"]]
    if ids:
        await conn.execute(_UPSERT_MONITORS, ids)
    return ids
