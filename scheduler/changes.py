"""Reading the cell's tests: all of them, or only what was written since the last read.

Every write to `tests` stamps the row with its transaction's id (`change_xid`, migration
0012), and every deletion leaves (test id, transaction id) in `test_deletions`. A read runs
in one REPEATABLE READ snapshot and returns that snapshot's xmin: every transaction below it
had finished, so all of their rows were in the snapshot. The next read asks for the rows
and deletions stamped >= that xmin, which holds every write the snapshot could not see yet,
however late its transaction commits: nothing is skipped by a commit out of order (what a
watermark on a sequence would do). Rows of transactions that were already visible come
again while an older transaction runs on; reading a row twice changes nothing.

The steady poll is two index range scans that find (nearly) nothing, whatever the number
of tests. Deletions are pruned once read: only the cell's leading scheduler reads and
prunes (scheduler/leader.py). Anything that writes
behind the triggers' back (triggers disabled, a restore) is caught by the scheduler's
periodic full read.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, delete, exists, select, text, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import NullType

from shared.tables import test_deletions, tests

# `regions` as the driver gives it (a list): SQLAlchemy's ARRAY type would walk every list
# again, a third of a full read's time in Python.
COLUMNS = (
    tests.c.id,
    tests.c.kind,
    type_coerce(tests.c.regions, NullType).label("regions"),
    tests.c.interval_s,
    tests.c.timeout_s,
    tests.c.config,
    tests.c.version,
    tests.c.enabled,
)
_XMIN = text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")

Seen = tuple[int | None, int]  # a row of test_deletions: (test id, transaction id)


@dataclass
class Read:
    xmin: int  # the next read asks for what was stamped at or above this
    rows: Sequence[Row[Any]]
    deleted: list[int] = field(default_factory=list)  # tests gone in this snapshot
    truncated: bool = False  # the table was truncated: only a full read can tell what is left
    seen: list[Seen] = field(default_factory=list)  # deletion rows read, to prune


@contextlib.asynccontextmanager
async def _snapshot(engine: AsyncEngine) -> AsyncIterator[tuple[AsyncConnection, int]]:
    """One read-only snapshot for every statement, and its xmin. One, not one a statement:
    a deletion committed between the read of the rows and that of the deletions would be
    applied, and then the row read before it would bring the test back."""
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        async with conn.begin():
            yield conn, await conn.scalar(_XMIN)


async def read_all(engine: AsyncEngine) -> Read:
    """Every enabled test. The deletions this snapshot holds are accounted for by it."""
    async with _snapshot(engine) as (conn, xmin):
        rows = (await conn.execute(select(*COLUMNS).where(tests.c.enabled))).all()
        seen = (
            await conn.execute(
                select(test_deletions.c.test_id, test_deletions.c.change_xid).where(
                    test_deletions.c.change_xid >= xmin
                )
            )
        ).all()
    return Read(xmin, rows, seen=[(s.test_id, s.change_xid) for s in seen])


async def read_since(engine: AsyncEngine, xmin: int) -> Read:
    """The rows written (enabled or not) and the tests deleted at or after `xmin`."""
    alive = exists().where(tests.c.id == test_deletions.c.test_id)
    async with _snapshot(engine) as (conn, now):
        rows = (await conn.execute(select(*COLUMNS).where(tests.c.change_xid >= xmin))).all()
        gone = (
            await conn.execute(
                select(
                    test_deletions.c.test_id, test_deletions.c.change_xid, alive.label("alive")
                ).where(test_deletions.c.change_xid >= xmin)
            )
        ).all()
    # A deletion of a test whose id is back (an explicit re-insert) is older than the row we
    # see: the row wins, whether or not it was read again.
    return Read(
        now,
        rows,
        deleted=[g.test_id for g in gone if g.test_id is not None and not g.alive],
        truncated=any(g.test_id is None for g in gone),
        seen=[(g.test_id, g.change_xid) for g in gone],
    )


async def prune(engine: AsyncEngine, seen: Sequence[Seen], below: int | None = None) -> None:
    """Forget the deletions read (exactly those), and after a full read every deletion
    stamped below its xmin: that read saw all of them as rows gone."""
    if not seen and below is None:
        return
    async with engine.begin() as conn:
        if seen:
            await conn.execute(
                _PRUNE_SEEN, {"ids": [s[0] for s in seen], "xids": [s[1] for s in seen]}
            )
        if below is not None:
            await conn.execute(delete(test_deletions).where(test_deletions.c.change_xid < below))


# Arrays, not one parameter a row: an account's deletion can leave thousands of rows.
_PRUNE_SEEN = text(
    "DELETE FROM test_deletions d USING unnest(CAST(:ids AS bigint[]), CAST(:xids AS bigint[]))"
    " AS r(test_id, xid) WHERE d.change_xid = r.xid AND d.test_id IS NOT DISTINCT FROM r.test_id"
)
