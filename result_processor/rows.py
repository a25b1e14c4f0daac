"""A result batch as rows of the result tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.messages import ResultBatch

RESULT_COLUMNS = ("test_id", "checked_at", "region", "node", "status", "latency_ms",
                  "http_status", "error_kind", "error")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def when(ms: int) -> datetime:
    """Epoch milliseconds as an aware UTC datetime (results carry when they were taken)."""
    return _EPOCH + timedelta(milliseconds=ms)


def records(batch: ResultBatch) -> list[tuple[Any, ...]]:
    region, node = batch.region, batch.node
    return [(r.test_id, when(r.checked_at_ms), region, node, int(r.status), r.latency_ms,
             r.http_status, r.error_kind, r.error) for r in batch.results]
