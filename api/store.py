"""Monitors and tests in the cell database, with SQLAlchemy Core.

Every function takes the caller's account id and every query is scoped to it: a row of
another account is simply not found.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from api import heartbeats as hb
from api.masking import masked
from api.schemas import MonitorOut, StateOut, TestIn, TestOut
from api.status import monitor_status, state_label
from shared.db import AnyRow
from shared.tables import heartbeats, monitors, test_state, tests

MONITOR = (monitors.c.id, monitors.c.name, monitors.c.created_at, monitors.c.tags)
_TEST = (
    tests.c.id,
    tests.c.monitor_id,
    tests.c.kind,
    tests.c.region,
    tests.c.regions,
    tests.c.interval_s,
    tests.c.timeout_s,
    tests.c.enabled,
    tests.c.config,
    tests.c.alert_rule,
)
_STATE = tuple(
    column.label(f"state_{column.name}") for column in test_state.c if column.name != "test_id"
)
# A test with its state, if the result processor has recorded one yet, and its heartbeat's.
_TESTS_WITH_STATE = select(*_TEST, *_STATE, *hb.COLUMNS).select_from(
    tests.outerjoin(test_state, test_state.c.test_id == tests.c.id).outerjoin(
        heartbeats, heartbeats.c.test_id == tests.c.id
    )
)


async def find_monitor(
    conn: AsyncConnection, account_id: int, monitor_id: int, lock: bool = False
) -> AnyRow | None:
    """The monitor, or None; `lock` holds it until commit, for a change to its tests."""
    query = select(*MONITOR).where(monitors.c.id == monitor_id, monitors.c.account_id == account_id)
    if lock:
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def count_tests(conn: AsyncConnection, account_id: int, monitor_id: int) -> int:
    query = select(func.count()).where(
        tests.c.monitor_id == monitor_id, tests.c.account_id == account_id
    )
    return (await conn.scalar(query)) or 0


async def tests_of(
    conn: AsyncConnection, account_id: int, monitor_ids: Sequence[int], ping_base: str
) -> dict[int, list[TestOut]]:
    """The tests of several monitors, in one query, keyed by monitor id; `ping_base` is the
    cell's VIGIL_PING_URL, the start of heartbeat tests' ping URLs."""
    query = _TESTS_WITH_STATE.where(
        tests.c.account_id == account_id, tests.c.monitor_id.in_(monitor_ids)
    ).order_by(tests.c.monitor_id, tests.c.id)
    found: dict[int, list[TestOut]] = {monitor_id: [] for monitor_id in monitor_ids}
    for row in (await conn.execute(query)).all():
        found[row.monitor_id].append(_test_out(row, ping_base))
    return found


async def find_test(
    conn: AsyncConnection, account_id: int, test_id: int, ping_base: str
) -> TestOut | None:
    query = _TESTS_WITH_STATE.where(tests.c.id == test_id, tests.c.account_id == account_id)
    row = (await conn.execute(query)).first()
    return None if row is None else _test_out(row, ping_base)


async def stored_test(conn: AsyncConnection, account_id: int, test_id: int) -> AnyRow | None:
    """The test's row as stored, secrets in clear: only to merge a change into it."""
    query = select(*_TEST).where(tests.c.id == test_id, tests.c.account_id == account_id)
    return (await conn.execute(query)).first()


async def monitors_out(
    conn: AsyncConnection, account_id: int, rows: Sequence[AnyRow], ping_base: str
) -> list[MonitorOut]:
    """Monitor rows with their tests and status: one more query, however many rows."""
    by_monitor = await tests_of(conn, account_id, [row.id for row in rows], ping_base)
    return [_monitor_out(row, by_monitor[row.id]) for row in rows]


async def insert_monitor(
    conn: AsyncConnection, account_id: int, name: str, tags: Sequence[str] = ()
) -> AnyRow:
    query = (
        insert(monitors)
        .values(account_id=account_id, name=name, tags=list(tags))
        .returning(*MONITOR)
    )
    return (await conn.execute(query)).one()


async def insert_tests(
    conn: AsyncConnection,
    account_id: int,
    monitor_id: int,
    new_tests: Sequence[TestIn],
    default_region: str,
) -> list[int]:
    """Store new tests of a monitor; their ids, in the order given."""
    rows = [
        {
            "account_id": account_id,
            "monitor_id": monitor_id,
            "kind": test.kind,
            "region": test.region_list(default_region)[0],
            "regions": test.region_list(default_region),
            "interval_s": test.interval_s,
            "timeout_s": test.timeout_s,
            "config": test.config(),
            "alert_rule": test.rule(),
            "enabled": True,
            "version": 1,
        }
        for test in new_tests
    ]
    query = insert(tests).returning(tests.c.id, sort_by_parameter_order=True)
    return list((await conn.execute(query, rows)).scalars())


def _test_out(row: AnyRow, ping_base: str) -> TestOut:
    state = None
    if row.state_status is not None:
        state = StateOut(
            status=state_label(row.state_status, row.state_error_kind),
            since=row.state_since,
            checked_at=row.state_checked_at,
            latency_ms=row.state_latency_ms,
            http_status=row.state_http_status,
            error_kind=row.state_error_kind,
            error=row.state_error,
            region=row.state_region,
        )
    return TestOut(
        id=row.id,
        monitor_id=row.monitor_id,
        kind=row.kind,
        region=row.region,
        regions=list(row.regions),
        interval_s=row.interval_s,
        timeout_s=row.timeout_s,
        enabled=row.enabled,
        config=masked(row.config),
        alert_rule=row.alert_rule,
        state=state,
        ping_url=hb.ping_url(ping_base, row.hb_token) if row.hb_token else None,
        heartbeat=hb.out(row, ping_base),
    )


def _monitor_out(row: AnyRow, monitor_tests: list[TestOut]) -> MonitorOut:
    status = monitor_status(test.state.status if test.state else None for test in monitor_tests)
    return MonitorOut(
        id=row.id,
        name=row.name,
        created_at=row.created_at,
        status=status,
        tests=monitor_tests,
        tags=list(row.tags),
    )
