"""Keyset pages by id: `{"items": [...], "next": cursor}` for any query of one table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from fastapi import Query
from pydantic import AfterValidator
from sqlalchemy import ColumnElement, Select
from sqlalchemy.ext.asyncio import AsyncConnection

from api import cursors
from api.schemas import printable
from shared.db import AnyRow

Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=200, pattern=cursors.ID_PATTERN)]
# The monitor list's cursor: its sort key and id, packed (api.cursors.pack).
PackedCursor = Annotated[str | None, Query(max_length=400, pattern=cursors.PACKED_PATTERN)]
# The cursor of a list that pages either way (`order`).
OrderedCursor = Annotated[str | None, Query(max_length=200, pattern=cursors.ORDERED_ID_PATTERN)]
# A text filter: no NUL or other control character ever reaches the database.
Search = Annotated[
    str | None,
    Query(
        max_length=200,
        description="part of the name",
        json_schema_extra={"pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*$"},
    ),
    AfterValidator(lambda v: v if v is None else printable(v)),
]


Order = Annotated[
    Literal["oldest", "newest"], Query(description="oldest first (the default) or newest first")
]


async def id_page(
    conn: AsyncConnection,
    query: Select,
    id_column: ColumnElement[int],
    limit: int,
    cursor: str | None,
    newest: bool = False,
) -> tuple[Sequence[AnyRow], str | None]:
    """One page of the query's rows in id order (descending when `newest`), and the cursor
    of the next (or None). The first column of the query must be the id."""
    if cursor:
        after = cursors.decode_id(cursor, newest)
        query = query.where(id_column < after if newest else id_column > after)
    ordered = query.order_by(id_column.desc() if newest else id_column)
    rows = (await conn.execute(ordered.limit(limit + 1))).all()
    page = rows[:limit]
    following = cursors.encode_id(page[-1][0], newest) if len(rows) > limit else None
    return page, following


def contains(column: ColumnElement[str], text: str) -> ColumnElement[bool]:
    """A case-insensitive substring match that treats % and _ in the text literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")
