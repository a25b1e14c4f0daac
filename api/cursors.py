"""Opaque page cursors: the sort key of the last item sent, as base64url JSON.

Clients only hand them back; a cursor that does not decode is a 422 naming `cursor`.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.exceptions import RequestValidationError

from api.schemas import MAX_ID

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def invalid_cursor(cursor: str) -> RequestValidationError:
    return RequestValidationError(
        [
            {
                "type": "value_error",
                "loc": ("query", "cursor"),
                "msg": "Value error, not a cursor this API gave out",
                "input": cursor,
            }
        ]
    )


def _pack(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unpack(cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):  # bad base64, bad UTF-8, bad JSON
        raise invalid_cursor(cursor) from None
    if not isinstance(values, list):
        raise invalid_cursor(cursor)
    return values


_NEWEST = "newest"  # the mark of a cursor of a newest-first list


def encode_id(last_id: int, newest: bool = False) -> str:
    return _pack([last_id, _NEWEST] if newest else [last_id])


def decode_id(cursor: str, newest: bool = False) -> int:
    """The id after which the next page starts. A cursor of the other order is refused: its
    id would start a page from the wrong end."""
    values = _unpack(cursor)
    if not values or values[1:] != ([_NEWEST] if newest else []):
        raise invalid_cursor(cursor)
    if type(values[0]) is not int or not 0 <= values[0] <= MAX_ID:
        raise invalid_cursor(cursor)
    return values[0]


def _plain(value: Any, max_length: int) -> bool:
    # The value goes into a query, where a NUL or a lone surrogate is a database error;
    # isprintable() is False for both.
    return isinstance(value, str) and len(value) <= max_length and value.isprintable()


def encode_result(checked_at: datetime, region: str, node: str) -> str:
    # Epoch microseconds: PostgreSQL's own precision, so the round trip is exact. Region and
    # node break ties, as two regions may check a test in the same millisecond.
    return _pack([(checked_at - _EPOCH) // _MICROSECOND, region, node])


def decode_result(cursor: str) -> tuple[datetime, str, str]:
    """The (checked_at, region, node) of the last result of the previous page."""
    values = _unpack(cursor)
    if len(values) != 3 or type(values[0]) is not int:
        raise invalid_cursor(cursor)
    micros, region, node = values
    if not (_plain(region, 32) and _plain(node, 64)):
        raise invalid_cursor(cursor)
    try:
        checked_at = _EPOCH + micros * _MICROSECOND
    except OverflowError:
        raise invalid_cursor(cursor) from None
    return checked_at, region, node
