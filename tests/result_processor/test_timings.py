"""Timings and certificate days in columns of their own: stored in both result tables, read
back as sent, NULL where a check has none, and a garbage figure sets its row aside."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import msgpack
import pytest
import zstandard

from result_processor.store import Decoded, store_group
from shared.codec import decode_batch
from tests.result_processor.helpers import ids, now_ms

pytestmark = pytest.mark.integration

COLUMNS = ("dns_ms", "connect_ms", "tls_ms", "ttfb_ms", "cert_days")
HTTPS = {"dns_ms": 0.412, "connect_ms": 7.25, "tls_ms": 18.375, "ttfb_ms": 30.5, "cert_days": 61.55}


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    c = await asyncpg.connect(database_url)
    yield c
    await c.close()


def _decoded(rows: list[list]) -> tuple[bytes, Decoded]:
    batch_id = uuid.uuid4().bytes
    body = zstandard.ZstdCompressor().compress(
        msgpack.packb(
            {"v": 1, "id": batch_id, "cell": "a", "region": "eu", "node": "n", "rows": rows}
        )
    )
    return batch_id, Decoded(*decode_batch(body))


async def _stored(conn: asyncpg.Connection, table: str, test_ids: list[int]) -> dict:
    found = await conn.fetch(
        f"SELECT test_id, {', '.join(COLUMNS)}, extras FROM {table} WHERE test_id = any($1)",
        test_ids,
    )
    return {r["test_id"]: r for r in found}


async def test_timings_are_stored_in_both_tables_and_read_back_as_sent(conn) -> None:
    https, tcp, ping, retried = ids(4)
    at = now_ms()
    _, decoded = _decoded(
        [
            [https, at, 1, 31.0, 200, None, None, HTTPS],
            [tcp, at, 1, 0.8, None, None, None],  # a TCP check: no extras at all
            [ping, at, 1, 0.3, None, None, None, {"sent": 3, "received": 3, "loss_pct": 0.0}],
            [
                retried,
                at,
                0,
                None,
                None,
                "timeout",
                "no answer",
                {"dns_ms": 1.5, "attempts": 2, "first_error": "refused"},
            ],
        ]
    )
    stored = await store_group(conn, [decoded], datetime.now(UTC))
    assert (stored.results, stored.rejected) == (4, 0)
    for table in ("results", "results_week"):
        rows = await _stored(conn, table, [https, tcp, ping, retried])
        # real columns keep 24 bits: rounded to the executor's 0.001 ms and 0.01 day
        assert {k: round(rows[https][k], 3) for k in COLUMNS} == HTTPS
        assert rows[https]["extras"] is None
        for plain in (tcp, ping):
            assert all(rows[plain][k] is None for k in COLUMNS)
        assert rows[tcp]["extras"] is None
        assert json.loads(rows[ping]["extras"]) == {"sent": 3, "received": 3, "loss_pct": 0.0}
        assert rows[retried]["dns_ms"] == 1.5 and rows[retried]["cert_days"] is None
        assert json.loads(rows[retried]["extras"]) == {"attempts": 2, "first_error": "refused"}


def test_an_expired_certificate_has_negative_days_and_whole_numbers_are_fine() -> None:
    [t] = ids(1)
    _, decoded = _decoded(
        [
            [
                t,
                now_ms(),
                2,
                5.0,
                200,
                "cert_expiring",
                "expired",
                {"cert_days": -3.25, "dns_ms": 1, "ttfb_ms": 0},
            ]
        ]
    )
    assert decoded.rejected == []
    assert decoded.batch.results[0].cert_days == -3.25


@pytest.mark.parametrize(
    ("figure", "value"),
    [
        ("dns_ms", "soon"),
        ("connect_ms", -1.0),
        ("tls_ms", float("nan")),
        ("ttfb_ms", 1e12),
        ("ttfb_ms", float("inf")),
        ("dns_ms", 2**63),
        ("connect_ms", True),
        ("cert_days", "61"),
        ("cert_days", float("nan")),
        ("cert_days", 1e9),
        ("cert_days", -1e9),
        ("tls_ms", [1.0]),
        ("cert_days", 355_000.0),  # trustme's default certificate: valid to the year 3000
    ],
)
async def test_a_garbage_figure_is_dropped_and_its_result_stored_with_the_rest(
    conn, figure, value
) -> None:
    good, odd = ids(2)
    at = now_ms()
    batch_id, decoded = _decoded(
        [
            [good, at, 1, 31.0, 200, None, None, HTTPS],
            [odd, at, 1, 31.0, 200, None, None, {**HTTPS, figure: value}],
        ]
    )
    stored = await store_group(conn, [decoded], datetime.now(UTC))
    assert (stored.batches, stored.results, stored.rejected) == (1, 2, 0)
    [(test_id, reason)] = stored.trimmed
    assert test_id == odd and reason.startswith(f"extras: '{figure}' must be ")
    rows = await _stored(conn, "results", [good, odd])
    assert {k: round(rows[good][k], 3) for k in COLUMNS} == HTTPS
    assert rows[odd][figure] is None
    assert {k: round(rows[odd][k], 3) for k in COLUMNS if k != figure} == {
        k: v for k, v in HTTPS.items() if k != figure
    }
    assert (
        await conn.fetchval("SELECT count(*) FROM rejected_results WHERE batch_id = $1", batch_id)
        == 0
    )
