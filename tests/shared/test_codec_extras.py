"""The optional 8th field of a result row: kind-specific figures (timings, cert days, ...)."""

import uuid

import msgpack
import pytest
import zstandard

from shared import codec
from shared.messages import Result, ResultBatch, Status

NOW_MS = 1_790_000_000_000


def _decode_rows(rows: list) -> tuple[list[Result], list]:
    body = {"v": 1, "id": b"\x05" * 16, "cell": "a", "region": "eu", "node": "n", "rows": rows}
    batch, rejected = codec.decode_batch(zstandard.ZstdCompressor().compress(msgpack.packb(body)))
    return batch.results, rejected


def test_extras_round_trip_and_rows_without_them_stay_seven_fields() -> None:
    extras = {"dns_ms": 0.4, "connect_ms": 1.2, "tls_ms": 3.5, "ttfb_ms": 8.0,
              "cert_days": 89.5, "attempts": 2, "first_error": "timeout", "x": None, "ok": True}
    results = [Result(1, NOW_MS, Status.UP, 9.0, 200, extras=extras),
               Result(2, NOW_MS, Status.UP, 9.0, 200)]
    assert len(codec.result_row(results[1])) == 7
    batch, rejected = codec.decode_batch(codec.encode_batch(
        ResultBatch(uuid.uuid4().bytes, "a", "eu", "n", results)))
    assert batch.results == results and rejected == []


@pytest.mark.parametrize("extras", [
    "nope", [1, 2], {"": 1}, {"k" * 40: 1}, {"a": [1]}, {"a": {"b": 1}},
    {"a": "x" * 500}, {f"k{i}": i for i in range(30)}, {"a": float("nan")},
    {"a": float("inf")}, {"a": -float("inf")}, {"a": "nul\0"}, {"k\0": 1},
    {"a": b"bytes"},
])
def test_garbage_extras_make_a_bad_row_beside_good_ones(extras) -> None:
    good = [1, NOW_MS, 1, 3.0, 200, None, None, {"attempts": 1}]
    bad = [2, NOW_MS, 1, 3.0, 200, None, None, extras]
    results, rejected = _decode_rows([good, bad])
    assert [r.test_id for r in results] == [1] and results[0].extras == {"attempts": 1}
    assert [row[0] for row, _ in rejected] == [2]
    assert "extras" in rejected[0][1]


def test_nine_fields_is_a_bad_row() -> None:
    _, rejected = _decode_rows([[1, NOW_MS, 1, 3.0, 200, None, None, None, None]])
    assert len(rejected) == 1


def test_a_failed_result_with_extras_keeps_them() -> None:
    row = [3, NOW_MS, 0, None, None, "timeout", "no answer", {"attempts": 2,
                                                             "first_error": "refused"}]
    [result], rejected = _decode_rows([row])
    assert rejected == [] and result.extras == {"attempts": 2, "first_error": "refused"}
    assert result.error_kind == "timeout"
