"""Opaque page cursors: the sort key of the last item sent, in a form a pattern describes.

Clients only hand them back; a cursor that does not match is a 422 naming `cursor`. The
OpenAPI document carries the same patterns, so a cursor the document allows is one the API
takes: an id (`n` before it in a newest-first list; ids never reach 18 digits), or a
result's epoch microseconds, region and node (names of the forms shared.config allows).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.exceptions import RequestValidationError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

ID_PATTERN = r"^[0-9]{1,18}$"
PACKED_PATTERN = r"^[A-Za-z0-9_-]{1,400}$"  # base64url of a JSON array, no padding
ORDERED_ID_PATTERN = r"^n?[0-9]{1,18}$"  # for lists that page either way
# 16 digits of microseconds: 1653 to 2286.
RESULT_PATTERN = r"^-?[0-9]{1,16}\.[a-z0-9][a-z0-9_-]{0,31}\.[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_ORDERED_ID = re.compile(ORDERED_ID_PATTERN)
_RESULT = re.compile(RESULT_PATTERN)
_NEWEST = "n"  # the mark of a cursor of a newest-first list


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


# The monitor list's cursors (api.monitor_list) carry its sort key with the id: a JSON array,
# base64url without padding.
def pack(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unpack(cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):  # bad base64, bad UTF-8, bad JSON
        raise invalid_cursor(cursor) from None
    if not isinstance(values, list):
        raise invalid_cursor(cursor)
    return values


def plain(value: Any, max_length: int) -> bool:
    # The value goes into a query, where a NUL or a lone surrogate is a database error;
    # isprintable() is False for both.
    return isinstance(value, str) and len(value) <= max_length and value.isprintable()


def encode_id(last_id: int, newest: bool = False) -> str:
    return f"{_NEWEST if newest else ''}{last_id}"


def decode_id(cursor: str, newest: bool = False) -> int:
    """The id after which the next page starts. A cursor of the other order is refused: its
    id would start a page from the wrong end."""
    if not _ORDERED_ID.fullmatch(cursor) or cursor.startswith(_NEWEST) != newest:
        raise invalid_cursor(cursor)
    return int(cursor.removeprefix(_NEWEST))


def encode_result(checked_at: datetime, region: str, node: str) -> str:
    # Epoch microseconds: PostgreSQL's own precision, so the round trip is exact. Region and
    # node break ties, as two regions may check a test in the same millisecond. A region
    # holds no dot, so the first two dots split; the node keeps any of its own.
    return f"{(checked_at - _EPOCH) // _MICROSECOND}.{region}.{node}"


def decode_result(cursor: str) -> tuple[datetime, str, str]:
    """The (checked_at, region, node) of the last result of the previous page."""
    if not _RESULT.fullmatch(cursor):
        raise invalid_cursor(cursor)
    micros, region, node = cursor.split(".", 2)
    return _EPOCH + int(micros) * _MICROSECOND, region, node
