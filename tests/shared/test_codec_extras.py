"""The optional 8th field of a result row: kind-specific figures (timings, cert days, ...)."""

import uuid

import msgpack
import pytest
import zstandard

from shared import codec
from shared.messages import MAX_CERT_DAYS, Result, ResultBatch, Status

NOW_MS = 1_790_000_000_000


def _decode_rows(rows: list) -> tuple[list[Result], list]:
    body = {"v": 1, "id": b"\x05" * 16, "cell": "a", "region": "eu", "node": "n", "rows": rows}
    batch, rejected = codec.decode_batch(zstandard.ZstdCompressor().compress(msgpack.packb(body)))
    return batch.results, rejected


def test_extras_round_trip_and_rows_without_them_stay_seven_fields() -> None:
    extras = {
        "dns_ms": 0.4,
        "connect_ms": 1.2,
        "tls_ms": 3.5,
        "ttfb_ms": 8.0,
        "cert_days": 89.5,
        "attempts": 2,
        "first_error": "timeout",
        "x": None,
        "ok": True,
    }
    results = [
        Result(1, NOW_MS, Status.UP, 9.0, 200, extras=extras),
        Result(2, NOW_MS, Status.UP, 9.0, 200),
    ]
    assert len(codec.result_row(results[1])) == 7
    batch, rejected = codec.decode_batch(
        codec.encode_batch(ResultBatch(uuid.uuid4().bytes, "a", "eu", "n", results))
    )
    assert batch.results == results and rejected == []


@pytest.mark.parametrize(
    ("extras", "kept"),
    [
        ("nope", None),
        ([1, 2], None),
        ({f"k{i}": i for i in range(30)}, None),
        ({"": 1, "attempts": 1}, {"attempts": 1}),
        ({"k" * 40: 1}, None),
        ({"a": [1]}, None),
        ({"a": {"b": 1}}, None),
        ({"a": "x" * 500, "b": "short"}, {"b": "short"}),
        ({"a": float("nan")}, None),
        ({"a": float("inf")}, None),
        ({"a": -float("inf")}, None),
        ({"a": "nul\0"}, None),
        ({"k\0": 1}, None),
        ({"a": b"bytes"}, None),
        ({"tls_ms": -1.0, "dns_ms": 0.5}, {"dns_ms": 0.5}),
        ({"ttfb_ms": "9", "connect_ms": 2}, {"connect_ms": 2}),
        ({"cert_days": True, "tls_ms": 3.0}, {"tls_ms": 3.0}),
    ],
)
def test_garbage_extras_lose_the_bad_entries_not_the_result(extras, kept) -> None:
    good = [1, NOW_MS, 1, 3.0, 200, None, None, {"attempts": 1}]
    odd = [2, NOW_MS, 1, 3.0, 200, None, None, extras]
    body = {
        "v": 1,
        "id": b"\x05" * 16,
        "cell": "a",
        "region": "eu",
        "node": "n",
        "rows": [good, odd],
    }
    batch, rejected = codec.decode_batch(zstandard.ZstdCompressor().compress(msgpack.packb(body)))
    assert rejected == []
    assert [(r.test_id, r.status, r.http_status, r.extras) for r in batch.results] == [
        (1, Status.UP, 200, {"attempts": 1}),
        (2, Status.UP, 200, kept),
    ]
    [(test_id, reason)] = batch.trimmed
    assert test_id == 2 and reason.startswith("extras")


def test_cert_days_beyond_the_limit_keep_the_result_and_its_timings() -> None:
    # trustme's default certificate runs to the year 3000: ~355,000 days left.
    days = 355_000.0
    assert days > MAX_CERT_DAYS
    timings = {"dns_ms": 0.4, "connect_ms": 1.2, "tls_ms": 3.5, "ttfb_ms": 8.0}
    results, rejected = _decode_rows(
        [[7, NOW_MS, 1, 9.0, 200, None, None, {**timings, "cert_days": days}]]
    )
    assert rejected == []
    assert results == [Result(7, NOW_MS, Status.UP, 9.0, 200, extras=timings)]
    assert results[0].cert_days is None


def test_a_bad_row_with_bad_extras_is_still_set_aside_for_the_rest() -> None:
    row = [0, NOW_MS, 1, 3.0, 200, None, None, {"cert_days": 1e9}]
    body = {"v": 1, "id": b"\x05" * 16, "cell": "a", "region": "eu", "node": "n", "rows": [row]}
    batch, rejected = codec.decode_batch(zstandard.ZstdCompressor().compress(msgpack.packb(body)))
    assert batch.results == [] and batch.trimmed == ()
    assert [reason for _, reason in rejected] == ["test_id: expected a positive integer"]


def test_good_extras_leave_nothing_trimmed() -> None:
    batch, _ = codec.decode_batch(
        codec.encode_batch(
            ResultBatch(
                uuid.uuid4().bytes,
                "a",
                "eu",
                "n",
                [
                    Result(
                        1,
                        NOW_MS,
                        Status.UP,
                        9.0,
                        200,
                        extras={"cert_days": -MAX_CERT_DAYS + 0.5, "attempts": 2},
                    )
                ],
            )
        )
    )
    assert batch.trimmed == () and batch.results[0].cert_days == -MAX_CERT_DAYS + 0.5


def test_nine_fields_is_a_bad_row() -> None:
    _, rejected = _decode_rows([[1, NOW_MS, 1, 3.0, 200, None, None, None, None]])
    assert len(rejected) == 1


def test_a_failed_result_with_extras_keeps_them() -> None:
    row = [
        3,
        NOW_MS,
        0,
        None,
        None,
        "timeout",
        "no answer",
        {"attempts": 2, "first_error": "refused"},
    ]
    [result], rejected = _decode_rows([row])
    assert rejected == [] and result.extras == {"attempts": 2, "first_error": "refused"}
    assert result.error_kind == "timeout"
