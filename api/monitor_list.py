"""The monitor list at scale: filters, keyset pages in several orders, counts by status, and
a fingerprint of the account's monitors for the list's ETag.

A monitor's status is the worst of its tests' states (api.status); here it is computed in
SQL as a rank, so that the list can be filtered and ordered by it and paged with a keyset
cursor without reading every monitor into Python. 10,000 monitors take one aggregate over
the account's tests (docs/PERFORMANCE.md, "The dashboard at 10,000 monitors").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from api import cursors
from api.paging import contains
from api.schemas import MAX_ID
from api.status import DEGRADED, DOWN, PENDING, UP, MonitorStatus
from shared.db import AnyRow
from shared.messages import Status
from shared.tables import monitors, test_state, tests

Sort = Literal["oldest", "newest", "name", "status"]
SORTS: tuple[str, ...] = ("oldest", "newest", "name", "status")
# Ranks in the order the status sort shows them: down first, as api.status ranks them.
RankStatus = Literal["down", "pending", "degraded", "up"]
RANKS: tuple[RankStatus, ...] = (DOWN, PENDING, DEGRADED, UP)

m, t, s = monitors.c, tests.c, test_state.c
# The tests a filter looks at, apart from those the status is computed over.
_other = tests.alias("matching")
o = _other.c


@dataclass(frozen=True)
class Filters:
    """What the caller asked for; every field is already validated by the route."""

    q: str | None = None  # in the name or a test's URL
    name: str | None = None  # in the name only (the list's first filter, kept)
    status: str | None = None
    kind: str | None = None
    tag: str | None = None
    region: str | None = None

    def key(self) -> dict[str, str | None]:
        return asdict(self)


def _rank() -> ColumnElement[int]:
    """The monitor's status as 0 (down) .. 3 (up), over its joined tests and states."""
    untested = func.bool_or(and_(t.id.is_not(None), s.test_id.is_(None)))
    return case(
        (func.bool_or(s.status == int(Status.DOWN)), 0),
        (or_(func.count(t.id) == 0, untested), 1),
        (func.bool_or(s.status == int(Status.DEGRADED)), 2),
        else_=3,
    )


def _any_test(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    # EXISTS, not a filter on the join: the status must still see every test of the monitor.
    return exists(select(1).select_from(_other).where(o.monitor_id == m.id, *conditions))


def _where(account_id: int, f: Filters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [m.account_id == account_id]
    if f.q:
        where.append(or_(contains(m.name, f.q), _any_test(contains(o.config["url"].astext, f.q))))
    if f.name:
        where.append(contains(m.name, f.name))
    if f.kind:
        where.append(_any_test(o.kind == f.kind))
    if f.region:
        where.append(_any_test(o.regions.any(f.region)))
    if f.tag:
        where.append(m.tags.contains([f.tag]))
    return where


def _summary(account_id: int, f: Filters) -> Select[Any]:
    """One row a monitor matching the filters but the status one: id, name, created_at,
    tags and rank."""
    return (
        select(m.id, m.name, m.created_at, m.tags, _rank().label("rank"))
        .select_from(
            monitors.outerjoin(tests, t.monitor_id == m.id).outerjoin(test_state, s.test_id == t.id)
        )
        .where(*_where(account_id, f))
        .group_by(m.id)
    )


def _order(sort: str, q: Any) -> tuple[list[Any], bool]:
    """The keyset columns of a sort, and whether they run descending."""
    if sort == "status":
        return [q.c.rank, q.c.name, q.c.id], False
    if sort == "name":
        return [q.c.name, q.c.id], False
    return [q.c.id], sort == "newest"


async def page(
    conn: AsyncConnection, account_id: int, f: Filters, sort: str, cursor: str | None, limit: int
) -> tuple[Sequence[AnyRow], str | None, dict[MonitorStatus, int]]:
    """One page of monitor rows (id, name, created_at, tags, rank), the next cursor, and
    the counts by status. One statement: the per-monitor aggregate is computed once
    (MATERIALIZED) and read by both the page and the counts, which halves its cost."""
    q = _summary(account_id, f).cte("summary").prefix_with("MATERIALIZED")
    keys, descending = _order(sort, q)
    by_rank = select(q.c.rank, func.count().label("n")).group_by(q.c.rank).subquery("by_rank")
    counted = select(func.json_object_agg(by_rank.c.rank, by_rank.c.n)).scalar_subquery()
    query: Select[Any] = select(q, counted.label("counts"))
    if f.status:
        query = query.where(q.c.rank == RANKS.index(f.status))
    if cursor:
        after = decode(cursor, sort)
        row = tuple_(*keys)
        query = query.where(row < tuple_(*after) if descending else row > tuple_(*after))
    query = query.order_by(*(k.desc() if descending else k for k in keys)).limit(limit + 1)
    rows = (await conn.execute(query)).all()
    found = rows[:limit]
    following = encode(sort, found[-1]) if len(rows) > limit else None
    if not rows:  # no row to carry them: the counts alone
        return found, following, await counts(conn, account_id, f)
    return found, following, _named(rows[0].counts)


def _named(by_rank: dict[str, int] | None) -> dict[MonitorStatus, int]:
    out: dict[MonitorStatus, int] = dict.fromkeys(RANKS, 0)
    for rank, n in (by_rank or {}).items():
        out[RANKS[int(rank)]] = n  # JSON object keys are text
    return out


async def counts(conn: AsyncConnection, account_id: int, f: Filters) -> dict[MonitorStatus, int]:
    """How many monitors match the filters but the status one, by status."""
    q = _summary(account_id, f).subquery("summary")
    rows = (await conn.execute(select(q.c.rank, func.count()).group_by(q.c.rank))).all()
    return _named({str(rank): n for rank, n in rows})


def encode(sort: str, row: AnyRow) -> str:
    if sort == "status":
        values: list[Any] = [sort, row.rank, row.name, row.id]
    elif sort == "name":
        values = [sort, row.name, row.id]
    else:
        values = [sort, row.id]
    return cursors.pack(values)


def decode(cursor: str, sort: str) -> list[Any]:
    """The keys after which the page starts. A cursor of another sort is refused: its keys
    would start the page at a meaningless place."""
    values = cursors.unpack(cursor)
    if not values or values[0] != sort:
        raise cursors.invalid_cursor(cursor)
    keys = values[1:]
    shapes = {"status": (int, str, int), "name": (str, int)}.get(sort, (int,))
    if len(keys) != len(shapes) or any(type(v) is not k for v, k in zip(keys, shapes, strict=True)):
        raise cursors.invalid_cursor(cursor)
    if not 0 <= keys[-1] <= MAX_ID or (sort == "status" and not 0 <= keys[0] < len(RANKS)):
        raise cursors.invalid_cursor(cursor)
    if sort in ("status", "name") and not cursors.plain(keys[-2], 200):
        raise cursors.invalid_cursor(cursor)
    return keys


# Each part an index read or one join over the account's tests, no aggregate per monitor:
# this is what keeps an unchanged refresh cheap.
_FINGERPRINT = text("""
SELECT (SELECT count(*) FROM monitors WHERE account_id = :a),
       (SELECT max(updated_at) FROM monitors WHERE account_id = :a),
       count(*), max(t.change_xid), count(s.test_id), max(s.checked_at), max(h.last_ping_at),
       max(h.late_at), max(h.due_at)
FROM tests t
LEFT JOIN test_state s ON s.test_id = t.id
LEFT JOIN heartbeats h ON h.test_id = t.id
WHERE t.account_id = :a
""")


async def fingerprint(conn: AsyncConnection, account_id: int) -> tuple[Any, ...]:
    """What changes whenever anything the list shows changes: counts and latest changes of
    the account's monitors, tests (their change_xid, set by a trigger on every write), test
    states and heartbeats."""
    return tuple((await conn.execute(_FINGERPRINT, {"a": account_id})).one())


def etag(
    account_id: int, marks: tuple[Any, ...], f: Filters, sort: str, cursor: str | None, limit: int
) -> str:
    """A weak ETag of one list answer: the same marks and the same question, the same page."""
    key = json.dumps([account_id, [str(v) for v in marks], f.key(), sort, cursor, limit])
    return f'W/"{hashlib.sha256(key.encode()).hexdigest()[:32]}"'
