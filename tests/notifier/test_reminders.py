"""Reminders while an incident stays open, with a one-second interval: they stop when someone
acknowledges the incident through the API, and when it resolves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from notifier import reminders
from notifier.delivery import decode_delivery
from notifier.fanout import FanOut
from shared.config import Settings
from shared.messages import IncidentEvent
from tests.api.helpers import SECRET, User, client_for, create_monitor, new_user

pytestmark = pytest.mark.integration
EVERY = timedelta(seconds=1)


@dataclass
class Open:
    """An incident of an account made through the API, told to its webhook channel."""

    user: User
    incident: int
    confirmed: datetime
    event: IncidentEvent


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(database_url) as client:
        yield client


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    yield p
    await p.close()


@pytest.fixture
def fan(pool: asyncpg.Pool) -> tuple[FanOut, list[bytes]]:
    sent: list[bytes] = []

    async def publish(body: bytes) -> None:
        sent.append(body)

    settings = Settings.from_env({"VIGIL_SECRET_KEY": SECRET, "VIGIL_CELL": "r1"})
    return FanOut(settings, pool, publish), sent


async def _open(api: httpx.AsyncClient, pool: asyncpg.Pool, fan: FanOut) -> Open:
    user = await new_user(api)
    monitor = await create_monitor(api, user)
    channel = await api.post(
        "/api/v1/notification-channels",
        headers=user.headers,
        json={
            "name": "ops",
            "kind": "webhook",
            "config": {"url": "https://ops.example/hook", "secret": "0123456789abcdef"},
        },
    )
    assert channel.status_code == 201, channel.text
    linked = await api.post(
        f"/api/v1/notification-channels/{channel.json()['id']}/monitors",
        headers=user.headers,
        json={"monitor_id": monitor["id"]},
    )
    assert linked.status_code == 201, linked.text
    confirmed = datetime.now(UTC) - timedelta(minutes=5)
    async with pool.acquire() as conn:
        incident = await conn.fetchval(
            "INSERT INTO incidents (test_id, monitor_id, state, cause, started_at, confirmed_at,"
            " evidence) VALUES ($1, $2, 'down', 'refused', $3, $3, '{}') RETURNING id",
            monitor["tests"][0]["id"],
            monitor["id"],
            confirmed,
        )
    ms = int(confirmed.timestamp() * 1000)
    event = IncidentEvent(
        "opened",
        "r1",
        incident,
        monitor["tests"][0]["id"],
        monitor["id"],
        "down",
        "refused",
        ms,
        ms,
        None,
    )
    assert await fan.handle(event, None) == "fanned"  # the channel hears of the opening
    return Open(user, incident, confirmed, event)


def _reminders(sent: list[bytes], incident: int) -> list[str]:
    """The keys of the reminders of one incident (the database is shared with other tests)."""
    mine = f"incident/r1/{incident}/reminder/"
    return [d.key for d in map(decode_delivery, sent) if d.key.startswith(mine)]


async def test_acknowledging_stops_the_reminders(api, pool, fan) -> None:
    fanout, sent = fan
    o = await _open(api, pool, fanout)
    now = datetime.now(UTC)
    await reminders.remind_once(fanout, EVERY, now)
    await reminders.remind_once(fanout, EVERY, now)  # the same reminder: sent once
    await reminders.remind_once(fanout, EVERY, now + 2 * EVERY)
    assert len(_reminders(sent, o.incident)) == 2
    acked = await api.post(f"/api/v1/incidents/{o.incident}/acknowledge", headers=o.user.headers)
    assert acked.status_code == 200, acked.text
    assert acked.json()["acknowledged_at"] is not None
    for seconds in (3, 4, 60, 3600):
        await reminders.remind_once(fanout, EVERY, now + seconds * EVERY)
    assert len(_reminders(sent, o.incident)) == 2
    # A reminder decided just before the acknowledgement finds it and goes nowhere.
    late = IncidentEvent(
        "reminder",
        "r1",
        o.incident,
        o.event.test_id,
        o.event.monitor_id,
        "down",
        "refused",
        o.event.started_at_ms,
        o.event.confirmed_at_ms,
        None,
    )
    await fanout.handle(late, "99999")
    assert len(_reminders(sent, o.incident)) == 2


async def test_a_resolved_incident_is_reminded_of_no_more(api, pool, fan) -> None:
    fanout, sent = fan
    o = await _open(api, pool, fanout)
    now = datetime.now(UTC)
    await reminders.remind_once(fanout, EVERY, now)
    assert len(_reminders(sent, o.incident)) == 1
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE incidents SET resolved_at = now(), state = 'resolved' WHERE id = $1", o.incident
        )
    for seconds in (2, 60, 3600):
        await reminders.remind_once(fanout, EVERY, now + seconds * EVERY)
    late = IncidentEvent(
        "reminder",
        "r1",
        o.incident,
        o.event.test_id,
        o.event.monitor_id,
        "down",
        "refused",
        o.event.started_at_ms,
        o.event.confirmed_at_ms,
        None,
    )
    await fanout.handle(late, "99999")
    assert len(_reminders(sent, o.incident)) == 1


async def test_a_window_that_opens_after_the_incident_mutes_its_reminders(api, pool, fan) -> None:
    """A reminder is judged by when it goes, not by when the incident was confirmed."""
    fanout, sent = fan
    o = await _open(api, pool, fanout)
    now = datetime.now(UTC)
    window = await api.post(
        "/api/v1/maintenance-windows",
        headers=o.user.headers,
        json={
            "title": "fixing it",
            "monitor_id": o.event.monitor_id,
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
        },
    )
    assert window.status_code == 201, window.text
    await reminders.remind_once(fanout, EVERY, now)
    assert _reminders(sent, o.incident) == []
