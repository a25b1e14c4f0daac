"""Page cursors: exact round trips, and a 422 for anything the API did not give out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.exceptions import RequestValidationError

from api import cursors


def test_id_cursor_round_trip() -> None:
    assert cursors.decode_id(cursors.encode_id(2**63 - 1)) == 2**63 - 1


def test_result_cursor_keeps_microseconds() -> None:
    at = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert cursors.decode_result(cursors.encode_result(at, "eu", "node-1")) == (at, "eu", "node-1")


@pytest.mark.parametrize(
    "cursor", ["", "!!", "bnVsbA", "WzEuNV0", "WyIxIl0", "WzEsMl0", "Wy0xXQ", "W3RydWVd"]
)  # "", !!, null, [1.5], ["1"], [1,2], [-1], [true]
def test_bad_id_cursors(cursor: str) -> None:
    with pytest.raises(RequestValidationError) as raised:
        cursors.decode_id(cursor)
    assert raised.value.errors()[0]["loc"] == ("query", "cursor")


@pytest.mark.parametrize(
    "values",
    [
        [1, "eu"],
        ["1", "eu", "n"],
        [1, 2, "n"],
        [1, "eu", "n" * 65],
        [10**20, "eu", "n"],
        [1, "e\nu", "n"],
    ],
)
def test_bad_result_cursors(values: list[object]) -> None:
    with pytest.raises(RequestValidationError):
        cursors.decode_result(cursors._pack(values))
