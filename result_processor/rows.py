"""A result batch as rows of the result tables.

The hot path of the processor (every result, ~100,000 a second): plain loops, no helper
call per field. The timing extras and `cert_days` go to real columns of their own as they
came (no conversion: COPY writes the float), and only the rarer rest of the extras is
written as JSON text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from shared.messages import CERT_DAYS, TIMING_EXTRAS, ResultBatch
from shared.tables import RESULT_COLUMNS

__all__ = ["INCOMING", "RESULT_COLUMNS", "records", "split_extras", "when"]

# The session's table a group's rows are copied into once; `store` fills it, the state,
# rollups and hooks read it in the same transaction.
INCOMING = "incoming_results"

_IN_COLUMNS = frozenset((*TIMING_EXTRAS, CERT_DAYS))
_NO_EXTRAS = (None, None, None, None, None, None)
_fromtimestamp = datetime.fromtimestamp


def when(ms: int) -> datetime:
    """Epoch milliseconds as an aware UTC datetime (results carry when they were taken).
    Exact: a double holds every millisecond of 2000-2100 to far better than a microsecond."""
    return _fromtimestamp(ms / 1000, UTC)


def split_extras(extras: dict[str, Any]) -> tuple[Any, ...]:
    """The extras as the last columns of a row: dns, connect, TLS and first-byte times,
    certificate days, and the rest as JSON text (None when nothing is left, as for a plain
    HTTPS result). The codec has checked the five are numbers in range."""
    get = extras.get
    dns, connect, tls, ttfb = get("dns_ms"), get("connect_ms"), get("tls_ms"), get("ttfb_ms")
    cert = get(CERT_DAYS)
    rest = None
    if len(extras) > 5 - (dns, connect, tls, ttfb, cert).count(None):
        others = {k: v for k, v in extras.items() if k not in _IN_COLUMNS}
        rest = orjson.dumps(others).decode() if others else None
    return dns, connect, tls, ttfb, cert, rest


def records(batch: ResultBatch) -> list[tuple[Any, ...]]:
    """The batch's results as tuples in RESULT_COLUMNS order, for COPY."""
    region, node, split, fromts, utc = batch.region, batch.node, split_extras, _fromtimestamp, UTC
    return [
        (
            r.test_id,
            fromts(r.checked_at_ms / 1000, utc),
            region,
            node,
            int(r.status),
            r.latency_ms,
            r.http_status,
            r.error_kind,
            r.error,
            *(_NO_EXTRAS if r.extras is None else split(r.extras)),
        )
        for r in batch.results
    ]
