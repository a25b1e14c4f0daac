"""The results of an account on the move: copied in bulk, waited for, handed over.

Used by `ops.account_move`; the rows go through asyncpg's COPY, under the target's test
ids. See that module for the protocol.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.rollup_counts import add_counts
from shared.tables import RESULT_COLUMNS, results, results_week

EXTRAS = RESULT_COLUMNS.index("extras")


async def _raw(conn: AsyncConnection) -> Any:
    return (await conn.get_raw_connection()).driver_connection  # the asyncpg connection


async def copy_results(src: AsyncConnection, dst: AsyncConnection, test_map: dict[int, int]) -> int:
    """Copy every result of the mapped tests (both tables), under the target's ids."""
    if not test_map:
        return 0
    source, target = await _raw(src), await _raw(dst)
    copied = 0
    for table in (results, results_week):
        rows = [
            _mapped(r, test_map)
            for r in await source.fetch(
                f"SELECT {', '.join(RESULT_COLUMNS)} FROM {table.name} "
                "WHERE test_id = ANY($1::bigint[])",
                list(test_map),
            )
        ]
        if rows:
            await target.copy_records_to_table(
                table.name, records=rows, columns=list(RESULT_COLUMNS)
            )
        if table is results:
            copied = len(rows)
    return copied


async def hand_over_results(
    src: AsyncConnection, dst: AsyncConnection, test_map: dict[int, int], since: datetime
) -> tuple[int, int]:
    """Take the mapped tests' results since `since` out of src, and add to dst those it
    lacks from before the first result dst took itself. Returns (added, overlap)."""
    if not test_map:
        return 0, 0
    source, target = await _raw(src), await _raw(dst)
    keep: Callable[[tuple[Any, ...]], bool] = lambda row: True  # noqa: E731
    added = overlap = 0
    for table in (results, results_week):
        taken = [
            _mapped(r, test_map)
            for r in await source.fetch(
                f"DELETE FROM {table.name} WHERE test_id = ANY($1::bigint[]) AND checked_at >= $2 "
                f"RETURNING {', '.join(RESULT_COLUMNS)}",
                list(test_map),
                since,
            )
        ]
        have = {
            tuple(r)
            for r in await target.fetch(
                f"SELECT test_id, checked_at, region, node FROM {table.name} "
                "WHERE test_id = ANY($1::bigint[]) AND checked_at >= $2",
                list(test_map.values()),
                since,
            )
        }
        if table is results:  # decided on the full table, applied to both alike
            keep = _before_handoff(have - {r[:4] for r in taken})
        rows = [r for r in taken if r[:4] not in have and keep(r)]
        if rows:
            await target.copy_records_to_table(
                table.name, records=rows, columns=list(RESULT_COLUMNS)
            )
        if table is results:
            added, overlap = len(rows), sum(1 for r in taken if not keep(r))
            if rows:
                await _count_in_rollups(target, rows)
    return added, overlap


def _mapped(row: Any, test_map: dict[int, int]) -> tuple[Any, ...]:
    """A fetched result as a row to COPY into the target: its test's new id, and the
    extras as JSON text (the connection decodes json into a dict, but COPY takes text)."""
    values = list(row)
    values[0] = test_map[values[0]]
    if values[EXTRAS] is not None and not isinstance(values[EXTRAS], str):
        values[EXTRAS] = orjson.dumps(values[EXTRAS]).decode()
    return tuple(values)


def _before_handoff(own: set[tuple[Any, ...]]) -> Callable[[tuple[Any, ...]], bool]:
    """Pure: given the keys of the results the target took itself, whether a source row
    falls before its test's hand-over (the target's first own result)."""
    first: dict[int, datetime] = {}
    for test_id, checked_at, *_ in own:
        if test_id not in first or checked_at < first[test_id]:
            first[test_id] = checked_at
    return lambda row: row[0] not in first or row[1] < first[row[0]]


# The source's processor counted late results in the source's rollups, which go; the
# target's rollups must count them too (the processor's statement shape).
_LATE_ROLLUPS = add_counts(
    "unnest($1::bigint[], $2::timestamptz[], $3::smallint[], "
    "$4::float8[]) AS x(test_id, checked_at, status, latency_ms)"
)


async def _count_in_rollups(target: Any, rows: list[tuple[Any, ...]]) -> None:
    await target.execute(
        _LATE_ROLLUPS,
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[4] for r in rows],
        [r[5] for r in rows],
    )


async def _result_count(engine: AsyncEngine, test_ids: list[int], since: datetime) -> int:
    async with engine.connect() as conn:
        return (
            await conn.scalar(
                select(func.count())
                .select_from(results)
                .where(results.c.test_id.in_(test_ids), results.c.checked_at >= since)
            )
            or 0
        )


async def wait_quiet(
    engine: AsyncEngine,
    test_ids: list[int],
    since: datetime,
    settle_s: float,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Until no new result (taken after `since`) for these tests has arrived for settle_s."""
    count, quiet_from = await _result_count(engine, test_ids, since), clock()
    while clock() - quiet_from < settle_s:
        await asyncio.sleep(min(1.0, settle_s / 4))
        now_count = await _result_count(engine, test_ids, since)
        if now_count != count:
            count, quiet_from = now_count, clock()


_CHECKED = """
SELECT DISTINCT x.t FROM unnest($1::bigint[], $2::timestamptz[]) AS x(t, since)
JOIN results_week w ON w.test_id = x.t AND w.checked_at > coalesce(x.since, '-infinity')
"""


async def newest_results(conn: AsyncConnection, test_ids: list[int]) -> dict[int, datetime | None]:
    """The newest result of each test this week (None: none), from the index."""
    rows = await (await _raw(conn)).fetch(
        "SELECT t, (SELECT max(checked_at) FROM results_week WHERE test_id = t) "
        "FROM unnest($1::bigint[]) AS t",
        test_ids,
    )
    return {r[0]: r[1] for r in rows}


async def wait_checking(
    engine: AsyncEngine,
    newest: dict[int, datetime | None],
    timeout_s: float,
    clock: Callable[[], float] = time.monotonic,
) -> list[int]:
    """Until each test has a result newer than `newest` (the target checks it itself);
    the tests still without one at the timeout."""
    waiting = dict(newest)
    deadline = clock() + timeout_s
    while waiting and clock() < deadline:
        await asyncio.sleep(0.2)
        async with engine.connect() as conn:
            checked = await (await _raw(conn)).fetch(
                _CHECKED, list(waiting), list(waiting.values())
            )
        for row in checked:
            waiting.pop(row[0], None)
    return list(waiting)
