"""Maintenance phases noticed once each (scheduled, started, ended), whatever the number of
processors or restarts, and written to the outbox for the notifier."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from result_processor.maintenance_notices import due, notice_once
from shared.codec import decode_event
from shared.messages import PageEvent
from tests.helpers import short_name

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
HOUR = timedelta(hours=1)


def _w(
    start: datetime = T0,
    end: datetime = T0 + HOUR,
    rule: str | None = None,
    zone: str | None = None,
) -> dict:
    return {"starts_at": start, "ends_at": end, "recurrence": rule, "timezone": zone}


def _phases(w: dict, now: datetime) -> list[tuple[str, bool]]:
    return [(n.phase, n.tell) for n in due(w, now)]


@pytest.mark.unit
def test_a_single_window_owes_scheduled_then_started_then_ended() -> None:
    assert _phases(_w(), T0 - HOUR) == [("scheduled", True)]
    assert _phases(_w(), T0 + HOUR / 2) == [("scheduled", False), ("started", True)]
    assert _phases(_w(), T0 + 2 * HOUR) == [("scheduled", False), ("ended", True)]
    assert _phases(_w(), T0 + timedelta(days=3)) == [("scheduled", False)]  # long over


@pytest.mark.unit
def test_a_weekly_window_owes_each_occurrence_its_start_and_end() -> None:
    w = _w(rule="FREQ=WEEKLY", zone="Europe/Amsterdam")
    week = timedelta(weeks=1)
    on = due(w, T0 + week + HOUR / 2)
    assert [(n.phase, n.key_start, n.tell) for n in on] == [
        ("scheduled", T0, False),
        ("started", T0 + week, True),
    ]
    after = due(w, T0 + week + 2 * HOUR)
    assert [(n.phase, n.key_start) for n in after] == [("scheduled", T0), ("ended", T0 + week)]
    assert after[0].starts_at == T0 + 2 * week  # what "scheduled" would speak of: the next


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    yield p
    await p.close()


async def _window(conn: asyncpg.Connection, start: datetime, end: datetime) -> int:
    account = await conn.fetchval(
        "INSERT INTO accounts (email, password_hash) VALUES ($1, 'x') RETURNING id",
        f"{short_name('m')}@example.com",
    )
    monitor = await conn.fetchval(
        "INSERT INTO monitors (account_id, name) VALUES ($1, 'Shop') RETURNING id", account
    )
    return await conn.fetchval(
        "INSERT INTO maintenance_windows (account_id, title, starts_at, ends_at, monitor_id) "
        "VALUES ($1, 'DB', $2, $3, $4) RETURNING id",
        account,
        start,
        end,
        monitor,
    )


async def _events(conn: asyncpg.Connection, window: int) -> list[PageEvent]:
    rows = await conn.fetch("SELECT routing_key, body FROM event_outbox ORDER BY id")
    events = [decode_event(r["body"]) for r in rows]
    return [e for e in events if isinstance(e, PageEvent) and e.ref_id == window]


@pytest.mark.integration
async def test_two_processors_and_restarts_notice_each_phase_once(conn, pool) -> None:
    now = datetime.now(UTC)
    start = now + HOUR
    window = await _window(conn, start, start + HOUR)
    # Two processors at once, then again (a restart): one "scheduled".
    for _ in range(2):
        await asyncio.gather(notice_once(pool, "c1", now), notice_once(pool, "c1", now))
    for at in (start + HOUR / 2, start + HOUR / 2, start + 2 * HOUR, start + 3 * HOUR):
        await asyncio.gather(notice_once(pool, "c1", at), notice_once(pool, "c1", at))
    events = await _events(conn, window)
    assert [e.kind for e in events] == [
        "maintenance_scheduled",
        "maintenance_started",
        "maintenance_ended",
    ]
    ms = int(start.timestamp() * 1000)
    assert {(e.starts_at_ms, e.ends_at_ms) for e in events} == {(ms, ms + 3_600_000)}
    routing = await conn.fetch("SELECT routing_key FROM event_outbox")
    assert {"page.maintenance_started.c1"} <= {r["routing_key"] for r in routing}


@pytest.mark.integration
async def test_a_window_made_while_on_is_not_scheduled_and_one_missed_is_not_ended(
    conn, pool
) -> None:
    now = datetime.now(UTC)
    on = await _window(conn, now - HOUR, now + HOUR)
    missed = await _window(conn, now - 3 * HOUR, now - 2 * HOUR)
    await notice_once(pool, "c1", now)
    await notice_once(pool, "c1", now + 2 * HOUR)
    assert [e.kind for e in await _events(conn, on)] == ["maintenance_started", "maintenance_ended"]
    assert await _events(conn, missed) == []  # its start was never told: neither is its end
    assert (
        await conn.fetchval("SELECT count(*) FROM maintenance_notices WHERE window_id = $1", missed)
        == 2
    )  # recorded, so never told later
