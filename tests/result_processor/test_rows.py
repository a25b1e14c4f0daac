"""A batch as rows of the result tables: timings and certificate days in columns of their
own, the rest of the extras as compact JSON text."""

import json
from datetime import UTC, datetime, timedelta

from result_processor.rows import RESULT_COLUMNS, records, when
from shared.messages import Result, ResultBatch, Status

AT = 1_790_000_000_000
TIMINGS = {"dns_ms": 0.5, "connect_ms": 1.25, "tls_ms": 4.0, "ttfb_ms": 9.125, "cert_days": 61.5}


def _rows(*results: Result) -> list[dict]:
    rows = records(ResultBatch(b"\x01" * 16, "a", "eu", "n1", list(results)))
    assert all(len(r) == len(RESULT_COLUMNS) for r in rows)
    return [dict(zip(RESULT_COLUMNS, r, strict=True)) for r in rows]


def test_timings_go_to_their_columns_and_the_rest_is_json_text() -> None:
    rest = {"attempts": 2, "first_error": "timeout", "ok": True, "x": None}
    [row] = _rows(Result(1, AT, Status.UP, 3.0, 200, extras={**TIMINGS, **rest}))
    assert {k: row[k] for k in TIMINGS} == TIMINGS
    assert json.loads(row["extras"]) == rest and " " not in row["extras"]


def test_a_plain_https_result_has_no_json_and_missing_figures_are_null() -> None:
    plain, partial, none, empty = _rows(
        Result(1, AT, Status.UP, 3.0, 200, extras=TIMINGS),
        Result(
            2,
            AT,
            Status.DOWN,
            None,
            None,
            "dns",
            "no such name",
            extras={"dns_ms": 3.5, "attempts": 2},
        ),
        Result(3, AT, Status.UP, 3.0, 200),
        Result(4, AT, Status.UP, 3.0, 200, extras={}),
    )
    assert plain["extras"] is None
    assert (partial["dns_ms"], partial["connect_ms"], partial["cert_days"]) == (3.5, None, None)
    assert json.loads(partial["extras"]) == {"attempts": 2}
    for row in (none, empty):
        assert all(row[k] is None for k in (*TIMINGS, "extras"))


def test_a_timing_given_as_nil_stays_out_of_the_json() -> None:
    [row] = _rows(Result(1, AT, Status.UP, 3.0, 200, extras={"dns_ms": None, "tls_ms": 2.0}))
    assert (row["dns_ms"], row["tls_ms"], row["extras"]) == (None, 2.0, None)


def test_when_is_exact_to_the_millisecond() -> None:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for ms in (946_684_800_000, AT + 1, AT + 999, 4_102_444_799_999):
        assert when(ms) == epoch + timedelta(milliseconds=ms)
    assert _rows(Result(1, AT + 7, Status.UP, 1.0))[0]["checked_at"] == when(AT + 7)
