"""`vigil cells move EMAIL --to CELL`: move an account, with its whole history, to another
cell without losing a result.

1. freeze the account in its cell (the API refuses writes; reads go on);
2. copy its rows to the target cell under new ids (tests stay enabled, so the target's
   scheduler starts checking them as soon as this commits);
3. copy every result, and the newest states (steps 2 and 3 read one snapshot of the
   source, so the rollups copied count exactly the results copied);
4. wait until the target has checked every enabled test itself (at most the longest
   interval, capped, plus `settle_s`), so for a moment both cells check, never neither;
   then disable the tests in the source (its scheduler stops sending them) and switch
   the directory: log-ins and status pages now go to the target;
5. wait until no result for the old tests has arrived in the source for `settle_s`
   (batches still in flight land there);
6. in one transaction of the source: take out (DELETE ... RETURNING) the results that
   came in since step 3 and hand them over, then delete the account and the rest of its
   results. The target commits first: a failure leaves the results in the source.

The hand-over keeps one check per interval: for each test, the history is the source's
until the first result the target took itself, then the target's. The source's checks
of the moment both cells ran the test are redundant and dropped (counted in the report
as `overlap`), so nothing is lost and no slot is stored twice.

The tables an account owns are listed in ACCOUNT_TABLES, in an order that respects their
foreign keys: a new table that belongs to an account needs its line there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ops.move_results import (
    copy_results,
    hand_over_results,
    newest_results,
    wait_checking,
    wait_quiet,
)
from shared import db
from shared.directory import Directory
from shared.tables import (
    accounts,
    alert_state,
    api_keys,
    channel_monitors,
    daily_rollups,
    heartbeat_pings,
    heartbeats,
    incident_updates,
    incidents,
    invitations,
    maintenance_windows,
    monitor_state,
    monitors,
    notification_channels,
    results,
    results_week,
    status_page_monitors,
    status_pages,
    test_state,
    tests,
)

log = logging.getLogger(__name__)

LATE_MARGIN = timedelta(minutes=10)  # how far back a late batch's results may reach
MAX_START_WAIT_S = 300  # the longest wait for the target's first check of a test


class MoveError(Exception):
    """The move cannot start: unknown account, unknown or same cell."""


Maps = dict[str, dict[int, int]]


def _alert_incident(values: dict[str, Any], maps: Maps) -> None:
    # The machine's memory names the open incident by id: the copy must name the copy.
    state = dict(values["state"])
    if state.get("incident_id") is not None:
        state["incident_id"] = maps.get("incidents", {}).get(state["incident_id"])
    values["state"] = state


@dataclass(frozen=True)
class Spec:
    """An account's rows of one table: which id columns to translate, which ids it makes.

    Tables written by the result processor have no account_id: `via` names the column
    (test_id or monitor_id) through which their rows belong to the account.
    """

    table: Table
    remap: dict[str, str]
    produces: str | None = None
    via: str | None = None
    transform: Callable[[dict[str, Any], Maps], None] | None = None


ACCOUNT_TABLES = [
    Spec(accounts, {"owner_id": "logins"}, "logins"),
    Spec(invitations, {"account_id": "logins"}),
    Spec(api_keys, {"account_id": "logins", "login_id": "logins"}),
    Spec(monitors, {"account_id": "logins"}, "monitors"),
    Spec(tests, {"account_id": "logins", "monitor_id": "monitors"}, "tests"),
    Spec(status_pages, {"account_id": "logins"}, "pages"),
    Spec(
        status_page_monitors, {"account_id": "logins", "page_id": "pages", "monitor_id": "monitors"}
    ),
    Spec(notification_channels, {"account_id": "logins"}, "channels"),
    Spec(
        channel_monitors,
        {"account_id": "logins", "channel_id": "channels", "monitor_id": "monitors"},
    ),
    Spec(
        maintenance_windows,
        {"account_id": "logins", "monitor_id": "monitors", "status_page_id": "pages"},
    ),
    Spec(monitor_state, {"monitor_id": "monitors"}, via="monitor_id"),
    Spec(daily_rollups, {"test_id": "tests"}, via="test_id"),
    Spec(
        incidents,
        {"test_id": "tests", "monitor_id": "monitors", "acknowledged_by": "logins"},
        "incidents",
        via="test_id",
    ),
    Spec(alert_state, {"test_id": "tests"}, via="test_id", transform=_alert_incident),
    # Heartbeat tests keep their ping tokens (the directory follows the account), state and
    # last pings, so a job's crontab line keeps working after the move.
    Spec(heartbeats, {"test_id": "tests"}, via="test_id"),
    Spec(heartbeat_pings, {"test_id": "tests"}, via="test_id"),
    Spec(
        incident_updates,
        {"account_id": "logins", "incident_id": "incidents", "author_id": "logins"},
    ),
]
# Rows of the tables above with no foreign key to the account: deleted by hand at the end.
PROCESSOR_TABLES = [spec for spec in ACCOUNT_TABLES if spec.via]


@dataclass
class MoveReport:
    account: str
    source: str
    target: str
    rows: dict[str, int] = field(default_factory=dict)
    results: int = 0
    late_results: int = 0
    overlap: int = 0  # the source's checks after the target's first: redundant, dropped
    not_started: list[int] = field(default_factory=list)  # tests the target had not checked


def _of_account(spec: Spec, account_id: int) -> ColumnElement[bool]:
    if spec.table is accounts:
        return func.coalesce(accounts.c.owner_id, accounts.c.id) == account_id
    if spec.via == "test_id":
        return spec.table.c.test_id.in_(select(tests.c.id).where(tests.c.account_id == account_id))
    if spec.via == "monitor_id":
        return spec.table.c.monitor_id.in_(
            select(monitors.c.id).where(monitors.c.account_id == account_id)
        )
    return spec.table.c.account_id == account_id


def _translated(spec: Spec, values: dict[str, Any], maps: Maps) -> dict[str, Any] | None:
    """The row with the target's ids; None if it hangs off a row that was not copied (an
    update of an incident whose test is gone)."""
    for column, name in spec.remap.items():
        if values[column] is not None:
            # Not found: a column without a foreign key naming a deleted row (an
            # incident's monitor, the member who acknowledged it) becomes NULL.
            values[column] = maps.get(name, {}).get(values[column])
            if values[column] is None and not spec.table.c[column].nullable:
                return None
    if spec.transform is not None:
        spec.transform(values, maps)
    return values


async def copy_account(
    src: AsyncConnection, dst: AsyncConnection, account_id: int
) -> tuple[Maps, dict[str, int]]:
    """Insert the account's rows into dst under new ids: (id maps, rows per table)."""
    maps: Maps = {"logins": {}}
    counts: dict[str, int] = {}
    for spec in ACCOUNT_TABLES:
        table = spec.table
        query = select(table).where(_of_account(spec, account_id))
        if "id" in table.c:  # the owner before the members, parents before children
            query = query.order_by(
                *([accounts.c.owner_id.nulls_first()] if table is accounts else []), table.c.id
            )
        rows = (await src.execute(query)).mappings().all()
        copied = 0
        for row in rows:
            values = _translated(spec, dict(row), maps)
            if values is None:
                continue
            old_id = values.pop("id", None)
            if spec.produces:
                new_id = await dst.scalar(insert(table).values(**values).returning(table.c.id))
                maps.setdefault(spec.produces, {})[old_id] = new_id
            else:
                await dst.execute(insert(table).values(**values))
            copied += 1
        counts[table.name] = copied
    return maps, counts


async def copy_states(src: AsyncConnection, dst: AsyncConnection, test_map: dict[int, int]) -> None:
    rows = (
        (await src.execute(select(test_state).where(test_state.c.test_id.in_(list(test_map)))))
        .mappings()
        .all()
    )
    for row in rows:
        await dst.execute(insert(test_state).values(**{**row, "test_id": test_map[row["test_id"]]}))


async def _freeze(engine: AsyncEngine, account_email: str, frozen: bool) -> int | None:
    async with engine.begin() as conn:
        return await conn.scalar(
            update(accounts)
            .where(accounts.c.email == account_email, accounts.c.owner_id.is_(None))
            .values(frozen=frozen)
            .returning(accounts.c.id)
        )


async def move_account(
    directory: Directory, email: str, target_name: str, settle_s: float = 10.0
) -> MoveReport:
    account_email = await directory.account_of(email.lower())
    source_cell = await directory.locate(email.lower())
    target_cell = await directory.cell(target_name)
    if account_email is None or source_cell is None:
        raise MoveError(f"{email}: no such account in the directory")
    if target_cell is None:
        raise MoveError(f"{target_name}: no such cell")
    if target_cell.name == source_cell.name:
        raise MoveError(f"{email} is in cell {target_name} already")
    report = MoveReport(account_email, source_cell.name, target_cell.name)
    src = db.engine(source_cell.database_url, pool_size=2)
    dst = db.engine(target_cell.database_url, pool_size=2)
    try:
        await _move(directory, src, dst, report, settle_s)
    finally:
        await src.dispose()
        await dst.dispose()
    return report


async def _move(
    directory: Directory, src: AsyncEngine, dst: AsyncEngine, report: MoveReport, settle_s: float
) -> None:
    account_id = await _freeze(src, report.account, True)
    if account_id is None:
        raise MoveError(f"{report.account}: not in the database of cell {report.source}")
    started = await _now(src)
    try:  # until the copy commits, a failure leaves the account as it was
        async with src.connect() as s, dst.begin() as d:
            # One snapshot of the source: its processor goes on committing meanwhile, and
            # the rollups copied must count exactly the results copied.
            await s.execution_options(isolation_level="REPEATABLE READ")
            maps, report.rows = await copy_account(s, d, account_id)
            test_map = maps.get("tests", {})
            report.results = await copy_results(s, d, test_map)
            await copy_states(s, d, test_map)
            enabled = dict(
                (
                    await d.execute(
                        select(tests.c.id, tests.c.interval_s).where(
                            tests.c.id.in_(list(test_map.values())), tests.c.enabled
                        )
                    )
                ).all()
            )
            newest = await newest_results(d, list(enabled))
    except BaseException:
        await _freeze(src, report.account, False)
        raise
    log.info(
        "account copied",
        extra={"account": report.account, "rows": report.rows, "results": report.results},
    )
    # Never neither: the source checks on until the target has checked each test itself
    # (a test's first slot comes within its interval), or gives up waiting.
    longest = min(max(enabled.values(), default=0), MAX_START_WAIT_S)
    report.not_started = await wait_checking(dst, newest, longest + settle_s)
    if report.not_started:
        log.warning(
            "tests not checked by the target yet",
            extra={"account": report.account, "tests": report.not_started},
        )
    async with src.begin() as s:
        await s.execute(
            update(tests)
            .where(tests.c.account_id == account_id)
            .values(enabled=False, version=tests.c.version + 1, updated_at=func.now())
        )
    await directory.switch(report.account, report.target)
    await _freeze(dst, report.account, False)
    since = started - LATE_MARGIN
    await wait_quiet(src, list(test_map), since, settle_s)
    # The target commits first (inner block): if it fails, the source keeps everything.
    async with src.begin() as s, dst.begin() as d:
        report.late_results, report.overlap = await hand_over_results(s, d, test_map, since)
        await _delete_account(s, account_id, list(test_map))
    log.info(
        "account moved",
        extra={
            "account": report.account,
            "to": report.target,
            "late_results": report.late_results,
            "overlap": report.overlap,
        },
    )


async def _delete_account(s: AsyncConnection, account_id: int, test_ids: list[int]) -> None:
    for table in (results, results_week, test_state):
        await s.execute(delete(table).where(table.c.test_id.in_(test_ids)))
    for spec in PROCESSOR_TABLES:  # incident_updates go with their incidents
        await s.execute(delete(spec.table).where(_of_account(spec, account_id)))
    await s.execute(delete(accounts).where(accounts.c.id == account_id))


async def _now(engine: AsyncEngine) -> datetime:
    async with engine.connect() as conn:
        now: datetime = (await conn.execute(select(func.now()))).scalar_one()
        return now
