"""A result batch as rows of the result tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from shared.messages import ResultBatch

RESULT_COLUMNS = ("test_id", "checked_at", "region", "node", "status", "latency_ms",
                  "http_status", "error_kind", "error", "extras")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _to_json(extras: dict[str, Any]) -> str:
    """Extras as JSON text for the json column. Most results carry a few timings, so this
    runs for nearly every row: orjson takes 0.3 us where json takes 2.5. The codec has
    already refused what PostgreSQL cannot hold (NaN, infinities, NUL)."""
    return orjson.dumps(extras).decode()


def when(ms: int) -> datetime:
    """Epoch milliseconds as an aware UTC datetime (results carry when they were taken)."""
    return _EPOCH + timedelta(milliseconds=ms)


def records(batch: ResultBatch) -> list[tuple[Any, ...]]:
    region, node, to_json = batch.region, batch.node, _to_json
    return [(r.test_id, when(r.checked_at_ms), region, node, int(r.status), r.latency_ms,
             r.http_status, r.error_kind, r.error,
             to_json(r.extras) if r.extras else None) for r in batch.results]
