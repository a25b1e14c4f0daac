"""`vigil cells move`: an account and its whole history to another cell, nothing lost,
while results keep arriving at the old cell as they would from a live processor."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from api.secretbox import SecretBox
from ops.account_move import hand_over_results, move_account
from shared import db
from shared.directory import Directory
from shared.tables import (
    accounts,
    alert_state,
    daily_rollups,
    incident_updates,
    incidents,
    monitor_state,
    monitors,
    notification_channels,
    results,
    results_week,
    tests,
)
from tests.api.cells import CellApi, two_cells
from tests.api.helpers import SECRET, http_test, unique_email
from tests.api.history import pin_api_clock, seed
from tests.api.test_cells import login, signup
from tests.helpers import on_one_utc_day

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

HOOK = "https://hooks.example.com/very-secret"


async def _estate(cell: CellApi, email: str) -> tuple[dict[str, str], list[int], str]:
    await signup(cell, email)
    auth = {"Authorization": f"Bearer {(await login(cell, email))['access_token']}"}
    test_ids = []
    for name in ("shop", "blog"):
        made = (
            await cell.client.post(
                "/api/v1/monitors",
                headers=auth,
                json={"name": name, "tests": [http_test(), http_test(region="eu")]},
            )
        ).json()
        test_ids += [t["id"] for t in made["tests"]]
    slug = f"move-{uuid.uuid4().hex[:8]}"
    page = (
        await cell.client.post(
            "/api/v1/status-pages", headers=auth, json={"slug": slug, "title": "Moving"}
        )
    ).json()
    await cell.client.post(
        f"/api/v1/status-pages/{page['id']}/monitors", headers=auth, json={"monitor_id": made["id"]}
    )
    channel = (
        await cell.client.post(
            "/api/v1/notification-channels",
            headers=auth,
            json={"name": "hook", "kind": "slack", "config": {"url": HOOK}},
        )
    ).json()
    await cell.client.post(
        f"/api/v1/notification-channels/{channel['id']}/monitors",
        headers=auth,
        json={"monitor_id": made["id"]},
    )
    now = datetime.now(UTC)
    await cell.client.post(
        "/api/v1/maintenance-windows",
        headers=auth,
        json={
            "title": "later",
            "status_page_id": page["id"],
            "starts_at": (now + timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=1, hours=1)).isoformat(),
        },
    )
    return auth, test_ids, slug


def _row(test_id: int, at: datetime, node: str) -> tuple:
    return (test_id, at, "local", node, 1, 12.5, 200, None, None)


async def _write(engine: AsyncEngine, rows: list[tuple]) -> None:
    async with engine.begin() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        for table in ("results", "results_week"):
            await raw.copy_records_to_table(
                table,
                records=rows,
                columns=[
                    "test_id",
                    "checked_at",
                    "region",
                    "node",
                    "status",
                    "latency_ms",
                    "http_status",
                    "error_kind",
                    "error",
                ],
            )


async def _live_processor(
    engine: AsyncEngine, test_ids: list[int], written: list[tuple], stop: asyncio.Event
) -> None:
    """Stores a result per test every 50 ms until its tests are disabled, and a little
    after (batches in flight), as the old cell's processor would."""
    disabled_since = None
    while not stop.is_set():
        now = datetime.now(UTC)
        rows = [_row(t, now, "live") for t in test_ids]
        await _write(engine, rows)
        written.extend(rows)
        async with engine.connect() as conn:
            enabled = await conn.scalar(
                select(func.bool_or(tests.c.enabled)).where(tests.c.id.in_(test_ids))
            )
        if not enabled:
            disabled_since = disabled_since or now
            if now - disabled_since > timedelta(seconds=0.5):
                return
        await asyncio.sleep(0.05)


async def _keys(engine: AsyncEngine, test_ids: list[int]) -> list[tuple]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(results.c.test_id, results.c.checked_at, results.c.node).where(
                    results.c.test_id.in_(test_ids)
                )
            )
        ).all()
    return sorted(tuple(r) for r in rows)


async def test_an_account_moves_with_every_result(
    directory_url: str, database_url: str, other_cell_url: str
) -> None:
    async with two_cells(directory_url, database_url, other_cell_url) as (directory, a, b):
        email = unique_email()
        auth, old_tests, slug = await _estate(a, email)
        src, dst = db.engine(a.database_url, pool_size=2), db.engine(b.database_url, pool_size=2)
        base = datetime.now(UTC) - timedelta(days=3)
        history = [
            _row(t, base + timedelta(minutes=i), "n1") for t in old_tests for i in range(300)
        ]
        await _write(src, history)
        written: list[tuple] = []
        stop = asyncio.Event()
        live = asyncio.create_task(_live_processor(src, old_tests, written, stop))
        await asyncio.sleep(0.2)
        report = await move_account(Directory(directory.engine), email, b.name, settle_s=1.5)
        stop.set()
        await live
        # The old cell keeps nothing of the account; the new one has everything.
        async with src.connect() as conn:
            assert await conn.scalar(select(func.count()).where(accounts.c.email == email)) == 0
        assert await _keys(src, old_tests) == []
        async with dst.connect() as conn:
            account_id = await conn.scalar(select(accounts.c.id).where(accounts.c.email == email))
            new_tests = (
                (
                    await conn.execute(
                        select(tests.c.id)
                        .where(tests.c.account_id == account_id)
                        .order_by(tests.c.id)
                    )
                )
                .scalars()
                .all()
            )
            names = (
                (
                    await conn.execute(
                        select(monitors.c.name)
                        .where(monitors.c.account_id == account_id)
                        .order_by(monitors.c.id)
                    )
                )
                .scalars()
                .all()
            )
            sealed = await conn.scalar(
                select(notification_channels.c.secrets).where(
                    notification_channels.c.account_id == account_id
                )
            )
            week = await conn.scalar(
                select(func.count())
                .select_from(results_week)
                .where(results_week.c.test_id.in_(new_tests))
            )
        assert names == ["shop", "blog"]
        assert SecretBox(SECRET).open(sealed) == {"url": HOOK}
        mapping = dict(zip(old_tests, new_tests, strict=True))
        expected = sorted((mapping[r[0]], r[1], r[3]) for r in history + written)
        assert await _keys(dst, list(new_tests)) == expected
        assert week == len(expected)
        assert report.results + report.late_results == len(expected)
        assert report.late_results > 0  # the live writer went on during the move
        # The user now lives in b: found there, logs in there, the page is served there.
        located = await a.client.post("/api/v1/auth/locate", json={"email": email})
        assert located.json()["cell"] == b.name
        await login(b, email)
        assert (
            await b.client.post(
                "/api/v1/auth/login", json={"email": email, "password": "wrong password"}
            )
        ).status_code == 401
        assert (await a.client.get("/api/v1/monitors", headers=auth)).status_code == 401
        page = await b.client.get(f"/api/v1/public/status-pages/{slug}")
        assert page.status_code == 200 and page.json()["title"] == "Moving"
        redirected = await a.client.get(f"/api/v1/public/status-pages/{slug}")
        assert redirected.headers["location"].startswith(b.url)
        await src.dispose()
        await dst.dispose()


async def test_a_moving_account_reads_but_does_not_write(client, user, engine) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(accounts).where(accounts.c.id == user.id).values(frozen=True))
    assert (await client.get("/api/v1/monitors", headers=user.headers)).status_code == 200
    refused = await client.post(
        "/api/v1/monitors", json={"name": "x", "tests": [http_test()]}, headers=user.headers
    )
    assert refused.status_code == 423


async def test_a_failed_copy_leaves_the_account_where_it_was(
    directory_url: str, database_url: str, other_cell_url: str
) -> None:
    async with two_cells(directory_url, database_url, other_cell_url) as (directory, a, b):
        email = unique_email()
        await signup(a, email)
        dst = db.engine(b.database_url, pool_size=1)
        async with dst.begin() as conn:  # the copy will clash with this row
            await conn.execute(insert(accounts).values(email=email, password_hash="x"))
        await dst.dispose()
        with pytest.raises(IntegrityError):
            await move_account(Directory(directory.engine), email, b.name, settle_s=0.1)
        assert (await directory.locate(email)).name == a.name
        auth = {"Authorization": f"Bearer {(await login(a, email))['access_token']}"}
        made = await a.client.post(
            "/api/v1/monitors", headers=auth, json={"name": "still here", "tests": [http_test()]}
        )
        assert made.status_code == 201  # not frozen


async def _processor_rows(
    engine: AsyncEngine, test_ids: list[int], monitor_ids: list[int]
) -> dict[str, list]:
    """The account's rows in the tables the processor keeps, keyed by table."""
    async with engine.connect() as conn:
        found = {}
        for table, column, ids in (
            (daily_rollups, "test_id", test_ids),
            (incidents, "test_id", test_ids),
            (alert_state, "test_id", test_ids),
            (monitor_state, "monitor_id", monitor_ids),
        ):
            found[table.name] = (
                (await conn.execute(select(table).where(table.c[column].in_(ids)))).mappings().all()
            )
        found["incident_updates"] = (
            (
                await conn.execute(
                    select(incident_updates).where(
                        incident_updates.c.incident_id.in_([i["id"] for i in found["incidents"]])
                    )
                )
            )
            .mappings()
            .all()
        )
    return found


async def test_incidents_rollups_and_states_move_with_the_account(
    directory_url: str, database_url: str, other_cell_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with two_cells(directory_url, database_url, other_cell_url) as (directory, a, b):
        email = unique_email()
        auth, old_tests, _ = await _estate(a, email)
        src, dst = db.engine(a.database_url, pool_size=2), db.engine(b.database_url, pool_size=2)
        stats_empty = (
            await a.client.get(f"/api/v1/tests/{old_tests[0]}/stats", headers=auth)
        ).json()
        monitors_before = (await a.client.get("/api/v1/monitors", headers=auth)).json()["items"]
        monitor_id = monitors_before[0]["id"]
        history = await seed(src, old_tests[0], monitor_id)
        pin_api_clock(monkeypatch, history.now)  # stats before and after: the same day's
        await a.client.post(f"/api/v1/incidents/{history.open_id}/acknowledge", headers=auth)
        await a.client.post(
            f"/api/v1/incidents/{history.open_id}/updates", headers=auth, json={"message": "on it"}
        )
        async with src.begin() as conn:
            await conn.execute(
                insert(monitor_state).values(monitor_id=monitor_id, status=2, since=history.now)
            )
            await conn.execute(
                insert(alert_state).values(
                    test_id=old_tests[0],
                    state={
                        "phase": "degraded",
                        "incident_id": history.open_id,
                        "regions": {},
                        "window": [],
                        "evidence": {},
                    },
                )
            )
        stats_before = (
            await a.client.get(f"/api/v1/tests/{old_tests[0]}/stats", headers=auth)
        ).json()
        assert stats_empty != stats_before  # the seeded history shows
        incidents_before = (
            await a.client.get(f"/api/v1/incidents/{history.open_id}", headers=auth)
        ).json()
        monitor_ids = [m["id"] for m in monitors_before]
        before = await _processor_rows(src, old_tests, monitor_ids)

        report = await move_account(Directory(directory.engine), email, b.name, settle_s=0.1)

        assert report.rows["incidents"] == 2 and report.rows["incident_updates"] == 1
        assert await _processor_rows(src, old_tests, monitor_ids) == {
            name: [] for name in before
        }  # nothing left behind in a
        new_auth = {"Authorization": f"Bearer {(await login(b, email))['access_token']}"}
        [listed, _] = (await b.client.get("/api/v1/incidents", headers=new_auth)).json()["items"]
        moved = (await b.client.get(f"/api/v1/incidents/{listed['id']}", headers=new_auth)).json()
        assert moved["updates"][0]["message"] == "on it"
        assert moved["acknowledged_by"] == moved["updates"][0]["author_id"] is not None
        same = ("state", "cause", "started_at", "acknowledged_at", "evidence")
        assert {k: moved[k] for k in same} == {k: incidents_before[k] for k in same}
        new_test = moved["test_id"]
        stats_after = (
            await b.client.get(f"/api/v1/tests/{new_test}/stats", headers=new_auth)
        ).json()
        assert stats_after["windows"] == stats_before["windows"]
        async with dst.connect() as conn:
            state = await conn.scalar(
                select(alert_state.c.state).where(alert_state.c.test_id == new_test)
            )
            kept = await conn.scalar(
                select(func.count())
                .select_from(monitor_state)
                .where(monitor_state.c.monitor_id == moved["monitor_id"])
            )
        assert state["incident_id"] == listed["id"] and kept == 1
        await src.dispose()
        await dst.dispose()


async def test_late_results_count_in_the_targets_rollups(
    database_url: str, other_cell_url: str
) -> None:
    src, dst = db.engine(database_url, pool_size=1), db.engine(other_cell_url, pool_size=1)
    old, new = 2**40 + secrets_id(), 2**41 + secrets_id()
    # Five results of one UTC day (in the first seconds after midnight, of yesterday's end).
    now = on_one_utc_day(datetime.now(UTC).replace(microsecond=0), timedelta(seconds=4))
    rows = [
        (
            old,
            now - timedelta(seconds=i),
            "local",
            "n",
            0 if i < 2 else 1,
            None if i < 2 else 10.0,
            200,
            None,
            None,
        )
        for i in range(5)
    ]
    await _write(src, rows)
    async with src.begin() as s, dst.begin() as d:
        assert await hand_over_results(s, d, {old: new}, now - timedelta(minutes=1)) == (5, 0)
    async with dst.connect() as conn:
        row = (
            (await conn.execute(select(daily_rollups).where(daily_rollups.c.test_id == new)))
            .mappings()
            .one()
        )
    assert (row["checks"], row["failures"], row["latency_count"], row["latency_sum"]) == (
        5,
        2,
        3,
        30.0,
    )
    await src.dispose()
    await dst.dispose()


async def test_the_hand_over_keeps_one_check_per_slot(
    database_url: str, other_cell_url: str
) -> None:
    """The source's results from before the target's first own result are added; those
    after it (both cells checked then) are dropped and counted; none is left in src."""
    src, dst = db.engine(database_url, pool_size=1), db.engine(other_cell_url, pool_size=1)
    old, new = 2**40 + secrets_id(), 2**41 + secrets_id()
    now = datetime.now(UTC).replace(microsecond=0)
    await _write(src, [_row(old, now - timedelta(seconds=i), "n") for i in range(6)])
    await _write(
        dst, [_row(new, now - timedelta(seconds=i, milliseconds=500), "m") for i in range(3)]
    )  # the target's own checks from now - 2.5 s
    async with src.begin() as s, dst.begin() as d:
        added, overlap = await hand_over_results(s, d, {old: new}, now - timedelta(minutes=1))
    assert (added, overlap) == (3, 3)
    assert [k[1] for k in await _keys(dst, [new]) if k[2] == "n"] == [
        now - timedelta(seconds=i) for i in (5, 4, 3)
    ]
    assert await _keys(src, [old]) == []
    await src.dispose()
    await dst.dispose()


def secrets_id() -> int:
    """A random id, far from those the sequences give out."""
    return uuid.uuid4().int % 2**30
