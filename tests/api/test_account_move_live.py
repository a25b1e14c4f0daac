"""`vigil cells move` under live checking: two cells with their real schedulers,
processors and executors, an account whose tests check a local site every second, moved
while results flow; nothing lost, nothing stored twice, the schedule moved with it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from ops.account_move import move_account
from shared import db
from shared.directory import Directory
from shared.tables import accounts, results, test_state, tests
from tests import services
from tests.api.cells import CellApi, two_cells
from tests.api.helpers import SECRET, http_test, unique_email
from tests.api.test_cells import login, signup
from tests.helpers import eventually
from tests.targets import ThreadedServer, target_app

pytestmark = pytest.mark.e2e  # starts real components as subprocesses

INTERVAL_S = 1
TOLERANCE_S = 0.5  # under one interval: a slot checked by neither cell fails the test
TESTS = 3
FAST = {"VIGIL_ALLOW_PRIVATE_TARGETS": "true", "VIGIL_MIN_INTERVAL": str(INTERVAL_S)}
Key = tuple[int, datetime, str, str]  # test, taken at, region, node


@pytest.fixture(scope="module")
def cell_databases() -> Iterator[tuple[str, str]]:
    """Two cell databases of this module's own: a scheduler runs every test it finds."""
    made = [services.create_migrated_database("vigil_move") for _ in range(2)]
    yield made[0][1], made[1][1]
    for name, _ in made:
        services.drop_database_sync(name)


@pytest.fixture(scope="module")
def vhost() -> Iterator[str]:
    name, url = services.create_vhost("vigil-move")
    yield url
    services.delete_vhost(name)


@contextmanager
def components(cells: list[CellApi], amqp_url: str, logs: Path) -> Iterator[None]:
    """Each cell's scheduler, processor and executor (every executor serves both cells,
    as the fleet does), as subprocesses. The new cell's scheduler looks for new tests
    less often than the old one's (1.5 s, 0.2 s): a move that stopped the old cell's
    checks without waiting for the new cell's first would leave slots checked by neither."""
    base = {
        **os.environ,
        **FAST,
        "VIGIL_AMQP_URL": amqp_url,
        "VIGIL_REGION": "local",
        "VIGIL_SECRET_KEY": SECRET,
        "VIGIL_LOG_FORMAT": "text",
        "VIGIL_BATCH_MAX_DELAY": "0.2",
        "VIGIL_DIRECTORY_URL": "",
    }
    procs = []
    try:
        for cell, poll in zip(cells, ("0.2", "1.5"), strict=True):
            env = {
                **base,
                "VIGIL_CELL": cell.name,
                "VIGIL_DATABASE_URL": cell.database_url,
                "VIGIL_SCHEDULER_POLL": poll,
                "VIGIL_NODE_ID": f"node-{cell.name}",
                "VIGIL_STATE_DIR": str(logs / f"state-{cell.name}"),
            }
            for name in ("scheduler", "processor", "executor"):
                with open(logs / f"{name}-{cell.name}.log", "wb") as out:
                    procs.append(
                        subprocess.Popen(
                            [sys.executable, "-m", "ops.cli", name],
                            env=env,
                            stdout=out,
                            stderr=subprocess.STDOUT,
                        )
                    )
        yield
        assert all(p.poll() is None for p in procs), "a component died; see " + str(logs)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


async def _keys(engine: AsyncEngine, test_ids: list[int]) -> set[Key]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(results.c.test_id, results.c.checked_at, results.c.region, results.c.node).where(
                results.c.test_id.in_(test_ids)
            )
        )
        return {tuple(r) for r in rows}  # type: ignore[misc]


async def _count(engine: AsyncEngine, table, column, ids: list[int]) -> int:  # noqa: ANN001
    async with engine.connect() as conn:
        return (
            await conn.scalar(select(func.count()).select_from(table).where(column.in_(ids))) or 0
        )


@asynccontextmanager
async def watching(engine: AsyncEngine, test_ids: list[int]) -> AsyncIterator[set[Key]]:
    """Every result of these tests the old cell stored while the block ran, as seen by
    polling it (a result stored after the last look is not in the set)."""
    seen: set[Key] = set()

    async def poll() -> None:
        while True:
            seen.update(await _keys(engine, test_ids))
            await asyncio.sleep(0.1)

    task = asyncio.create_task(poll())
    try:
        yield seen
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_an_account_moves_under_live_checking(
    directory_url: str, cell_databases, vhost: str, tmp_path: Path
) -> None:
    site = ThreadedServer(target_app()).start()
    db_a, db_b = cell_databases
    try:
        async with two_cells(directory_url, db_a, db_b, **FAST) as (directory, a, b):
            with components([a, b], vhost, tmp_path):
                await _move_while_checking(directory, a, b, site.url)
    finally:
        site.stop()


async def _move_while_checking(directory: Directory, a: CellApi, b: CellApi, site: str) -> None:
    email = unique_email()
    await signup(a, email)
    auth = {"Authorization": f"Bearer {(await login(a, email))['access_token']}"}
    made = await a.client.post(
        "/api/v1/monitors",
        headers=auth,
        json={
            "name": "shop",
            "tests": [
                http_test(url=f"{site}/ok?n={i}", interval_s=INTERVAL_S, timeout_s=0.5)
                for i in range(TESTS)
            ],
        },
    )
    assert made.status_code == 201, made.text
    old = [t["id"] for t in made.json()["tests"]]
    src, dst = db.engine(a.database_url, pool_size=2), db.engine(b.database_url, pool_size=2)

    async def flowing() -> bool:
        keys = await _keys(src, old)
        return all(sum(1 for k in keys if k[0] == t) >= 3 for t in old)

    await eventually(flowing, "three results of each test in the old cell", timeout=60)
    before = datetime.now(UTC)
    async with watching(src, old) as seen_in_a:
        report = await move_account(directory, email, b.name, settle_s=2.0)
    after = datetime.now(UTC)
    assert report.not_started == []  # the new cell checked every test before the old stopped

    # The directory points at the new cell; the old one holds nothing of the account.
    assert (await directory.locate(email)).name == b.name
    async with dst.connect() as conn:
        account = await conn.scalar(select(accounts.c.id).where(accounts.c.email == email))
        new = list(
            (
                await conn.execute(
                    select(tests.c.id).where(tests.c.account_id == account).order_by(tests.c.id)
                )
            ).scalars()
        )
    mapping = dict(zip(old, new, strict=True))

    async def checked_on() -> bool:  # the new cell's scheduler runs the tests
        keys = await _keys(dst, new)
        return all(
            any(k[0] == t and k[1] > after + timedelta(seconds=3) for k in keys) for t in new
        )

    await eventually(checked_on, "results in the new cell after the move", timeout=30)
    # The old cell's scheduler stopped sending them: nothing came back to it since.
    assert await _keys(src, old) == set()
    assert await _count(src, accounts, accounts.c.email, [email]) == 0
    assert await _count(src, tests, tests.c.id, old) == 0
    assert await _count(src, test_state, test_state.c.test_id, old) == 0

    stored = await _keys(dst, new)
    await _assert_no_duplicates(dst, new)
    for old_id, new_id in mapping.items():
        times = sorted(
            k[1]
            for k in stored
            if k[0] == new_id
            and before - timedelta(seconds=3) <= k[1] <= after + timedelta(seconds=3)
        )
        _assert_unbroken(times)
        assert any(
            k[0] == old_id and k[1] >= before - timedelta(seconds=3) for k in seen_in_a
        )  # the window starts with the old cell's checks
        # Every result the old cell stored is in the new one, unless the new cell had
        # already checked the test itself by then (the redundant checks of the overlap).
        own = [k[1] for k in stored if k[0] == new_id and (old_id, *k[1:]) not in seen_in_a]
        handover = min(own)
        for key in seen_in_a:
            if key[0] == old_id and key[1] < handover:
                assert (new_id, *key[1:]) in stored, f"lost: {key}"
    await src.dispose()
    await dst.dispose()


def _assert_unbroken(times: list[datetime]) -> None:
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    assert gaps and max(gaps) <= INTERVAL_S + TOLERANCE_S, gaps
    # One check per interval: at most the hand-over is closer than half an interval
    # (the old cell's last and the new cell's first check of the test).
    assert sum(1 for g in gaps if g < INTERVAL_S / 2) <= 1, gaps


async def _assert_no_duplicates(engine: AsyncEngine, test_ids: list[int]) -> None:
    async with engine.connect() as conn:
        doubled = (
            await conn.execute(
                text(
                    "SELECT test_id, checked_at FROM results WHERE test_id = ANY(:ids) "
                    "GROUP BY 1, 2 HAVING count(*) > 1"
                ),
                {"ids": test_ids},
            )
        ).all()
    assert doubled == []
