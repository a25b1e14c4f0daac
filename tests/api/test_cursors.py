"""Page cursors: exact round trips, the OpenAPI patterns they match, and a 422 for anything
the API did not give out."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.exceptions import RequestValidationError

from api import cursors

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("newest", [False, True])
@pytest.mark.parametrize("last_id", [0, 1, 10**18 - 1])
def test_id_cursor_round_trip_matches_its_pattern(last_id: int, newest: bool) -> None:
    cursor = cursors.encode_id(last_id, newest)
    assert cursors.decode_id(cursor, newest) == last_id
    assert re.fullmatch(cursors.ORDERED_ID_PATTERN, cursor)
    assert bool(re.fullmatch(cursors.ID_PATTERN, cursor)) is not newest


@pytest.mark.parametrize("node", ["node-1", "host.example.com", "N_1.a-b"])
def test_result_cursor_keeps_microseconds_and_matches_its_pattern(node: str) -> None:
    at = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    cursor = cursors.encode_result(at, "eu-west_1", node)
    assert cursors.decode_result(cursor) == (at, "eu-west_1", node)
    assert re.fullmatch(cursors.RESULT_PATTERN, cursor)
    before_1970 = datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert cursors.decode_result(cursors.encode_result(before_1970, "eu", node))[0] == before_1970


@pytest.mark.parametrize(
    "cursor", ["", "!!", "1.5", "-1", "x1", "1" * 19, " 1", "1\n", "٣", "WzFd", "nn1"]
)
def test_bad_id_cursors(cursor: str) -> None:
    for newest in (False, True):
        with pytest.raises(RequestValidationError) as raised:
            cursors.decode_id(cursor, newest)
        assert raised.value.errors()[0]["loc"] == ("query", "cursor")


def test_a_cursor_of_the_other_order_is_refused() -> None:
    with pytest.raises(RequestValidationError):
        cursors.decode_id("n5")
    with pytest.raises(RequestValidationError):
        cursors.decode_id("5", newest=True)


@pytest.mark.parametrize(
    "cursor",
    [
        "1.eu",
        "x.eu.n",
        "1.EU.n",
        "1.eu.",
        "1.e.u.n" + "x" * 64,
        "1.eu.n" + "x" * 64,
        "1" * 17 + ".eu.n",
        "1.e\nu.n",
        "1.eu.-n",
        "1.eu.n\n",
    ],
)
def test_bad_result_cursors(cursor: str) -> None:
    with pytest.raises(RequestValidationError):
        cursors.decode_result(cursor)
