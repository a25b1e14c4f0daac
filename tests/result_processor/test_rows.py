"""A batch as rows of the result tables: extras become compact JSON text for the JSONB column."""

import json

from result_processor.rows import RESULT_COLUMNS, records
from shared.messages import Result, ResultBatch, Status

AT = 1_790_000_000_000


def test_extras_are_json_text_and_missing_extras_are_null() -> None:
    extras = {"dns_ms": 0.5, "attempts": 2, "first_error": "timeout", "ok": True, "x": None}
    batch = ResultBatch(b"\x01" * 16, "a", "eu", "n1", [
        Result(1, AT, Status.UP, 3.0, 200, extras=extras),
        Result(2, AT, Status.UP, 3.0, 200),
        Result(3, AT, Status.UP, 3.0, 200, extras={})])
    rows = records(batch)
    assert all(len(r) == len(RESULT_COLUMNS) for r in rows)
    column = RESULT_COLUMNS.index("extras")
    assert json.loads(rows[0][column]) == extras and " " not in rows[0][column]
    assert rows[1][column] is None and rows[2][column] is None
