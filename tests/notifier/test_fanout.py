"""The fan-out: an incident event becomes one delivery per channel that should hear of it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from prometheus_client import REGISTRY

from notifier.delivery import decode_delivery
from notifier.fanout import FanOut, event_key
from shared.config import Settings
from shared.messages import IncidentEvent
from shared.secrets import decrypt_json, encrypt_json
from tests.helpers import short_name

pytestmark = pytest.mark.integration
KEY = "fanout-test-key"


@dataclass
class Estate:
    account: int
    monitor: int
    test: int
    incident: int
    channels: dict[str, int]  # name -> id


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    yield p
    await p.close()


async def _estate(conn: asyncpg.Connection) -> Estate:
    account = await conn.fetchval(
        "INSERT INTO accounts (email, password_hash) VALUES ($1, 'x') RETURNING id",
        f"{short_name('f')}@example.com",
    )
    monitor = await conn.fetchval(
        "INSERT INTO monitors (account_id, name) VALUES ($1, 'Shop') RETURNING id", account
    )
    test = await conn.fetchval(
        "INSERT INTO tests (monitor_id, account_id, kind, region, interval_s, timeout_s, config)"
        " VALUES ($1, $2, 'http', 'eu', 60, 5, $3) RETURNING id",
        monitor,
        account,
        json.dumps({"url": "https://shop.example/"}),
    )
    incident = await conn.fetchval(
        "INSERT INTO incidents (test_id, monitor_id, state, cause, started_at, confirmed_at, "
        "evidence) VALUES ($1, $2, 'down', 'failing in 2 region(s)', now(), now(), $3) "
        "RETURNING id",
        test,
        monitor,
        json.dumps(
            {
                "eu": [{"status": "down", "error_kind": "timeout"}],
                "us": [{"status": "down", "error_kind": "refused"}],
            }
        ),
    )
    channels = {}
    for name, enabled, linked in [
        ("hook", True, True),
        ("off", False, True),
        ("other", True, False),
    ]:
        channels[name] = await conn.fetchval(
            "INSERT INTO notification_channels (account_id, name, kind, config, secrets, "
            "enabled) VALUES ($1, $2, 'webhook', '{}', $3, $4) RETURNING id",
            account,
            name,
            encrypt_json(KEY, {"url": f"https://{name}.example/", "secret": "s" * 16}),
            enabled,
        )
        if linked:
            await conn.execute(
                "INSERT INTO channel_monitors (channel_id, monitor_id, account_id)"
                " VALUES ($1, $2, $3)",
                channels[name],
                monitor,
                account,
            )
    return Estate(account, monitor, test, incident, channels)


def _event(e: Estate, kind: str = "opened", state: str = "down") -> IncidentEvent:
    now = int(datetime.now(UTC).timestamp() * 1000)
    return IncidentEvent(
        kind=kind,
        cell="c1",
        incident_id=e.incident,
        test_id=e.test,
        monitor_id=e.monitor,
        state=state,
        cause="failing",
        started_at_ms=now - 60_000,
        confirmed_at_ms=now - 30_000,
        resolved_at_ms=now if kind == "resolved" else None,
    )


def _fanout(pool: asyncpg.Pool) -> tuple[FanOut, list[bytes]]:
    sent: list[bytes] = []

    async def publish(body: bytes) -> None:
        sent.append(body)

    settings = Settings.from_env({"VIGIL_SECRET_KEY": KEY, "VIGIL_CELL": "c1"})
    return FanOut(settings, pool, publish), sent


def _muted() -> float:
    return REGISTRY.get_sample_value("vigil_notifier_events_total", {"outcome": "muted"}) or 0.0


async def test_opened_goes_to_each_enabled_linked_channel_with_its_whole_config(conn, pool) -> None:
    e = await _estate(conn)
    fan, sent = _fanout(pool)
    assert await fan.handle(_event(e), "7") == "fanned"
    [d] = [decode_delivery(b) for b in sent]
    assert (d.channel_id, d.channel_kind, d.account_id) == (
        e.channels["hook"],
        "webhook",
        e.account,
    )
    assert d.key == f"{event_key(_event(e), '7')}/{e.channels['hook']}"
    assert decrypt_json(KEY, d.sealed_config) == {
        "url": "https://hook.example/",
        "secret": "s" * 16,
    }
    n = d.notification
    assert (n.kind, n.monitor, n.target, n.language) == (
        "opened",
        "Shop",
        "https://shop.example/",
        "en",
    )
    assert [(r.region, r.status, r.detail) for r in n.regions] == [
        ("eu", "down", "timeout"),
        ("us", "down", "refused"),
    ]
    assert (
        await conn.fetchval(
            "SELECT state FROM notification_deliveries WHERE idempotency_key = $1", d.key
        )
        == "waiting"
    )
    # The same event again (a replay) makes the same delivery: the ledger sends it once.
    await fan.handle(_event(e), "7")
    assert decode_delivery(sent[-1]).key == d.key


async def test_resolved_is_told_only_to_channels_told_of_the_opening(conn, pool) -> None:
    e = await _estate(conn)
    fan, sent = _fanout(pool)
    await fan.handle(_event(e), None)  # "other" is linked only after the opening
    await conn.execute(
        "INSERT INTO channel_monitors (channel_id, monitor_id, account_id) VALUES ($1, $2, $3)",
        e.channels["other"],
        e.monitor,
        e.account,
    )
    sent.clear()
    await fan.handle(_event(e, "resolved", "resolved"), None)
    assert [decode_delivery(b).channel_id for b in sent] == [e.channels["hook"]]
    assert decode_delivery(sent[0]).notification.kind == "resolved"


async def test_a_severity_change_is_an_update_keyed_by_its_message(conn, pool) -> None:
    e = await _estate(conn)
    fan, sent = _fanout(pool)
    await fan.handle(_event(e), None)
    await fan.handle(_event(e, "changed", "degraded"), "41")
    await fan.handle(_event(e, "changed", "degraded"), "42")
    updates = [decode_delivery(b) for b in sent[1:]]
    assert [d.notification.kind for d in updates] == ["updated", "updated"]
    assert updates[0].key != updates[1].key
    assert updates[0].notification.note.startswith("now degraded")


async def test_maintenance_mutes_the_opening_and_so_the_recovery(conn, pool) -> None:
    e = await _estate(conn)
    now = datetime.now(UTC)
    await conn.execute(
        "INSERT INTO maintenance_windows (account_id, title, starts_at, ends_at,"
        " monitor_id) VALUES ($1, 'upgrade', $2, $3, $4)",
        e.account,
        now - timedelta(hours=1),
        now + timedelta(hours=1),
        e.monitor,
    )
    fan, sent = _fanout(pool)
    before = _muted()
    assert await fan.handle(_event(e), None) == "muted"
    assert sent == [] and _muted() == before + 1
    await conn.execute("DELETE FROM maintenance_windows WHERE monitor_id = $1", e.monitor)
    assert await fan.handle(_event(e, "resolved", "resolved"), None) == "fanned"
    assert sent == []  # nobody heard of the outage, so nobody hears it ended


async def test_a_status_page_window_mutes_its_monitors(conn, pool) -> None:
    e = await _estate(conn)
    now = datetime.now(UTC)
    page = await conn.fetchval(
        "INSERT INTO status_pages (account_id, slug, title, language) "
        "VALUES ($1, $2, 'p', 'en') RETURNING id",
        e.account,
        short_name("s"),
    )
    await conn.execute(
        "INSERT INTO status_page_monitors (page_id, monitor_id, account_id) VALUES ($1, $2, $3)",
        page,
        e.monitor,
        e.account,
    )
    await conn.execute(
        "INSERT INTO maintenance_windows (account_id, title, starts_at, ends_at,"
        " status_page_id) VALUES ($1, 'all', $2, $3, $4)",
        e.account,
        now - timedelta(hours=1),
        now + timedelta(hours=1),
        page,
    )
    fan, sent = _fanout(pool)
    assert await fan.handle(_event(e), None) == "muted" and sent == []


async def test_an_unknown_incident_or_unreadable_secrets_send_nothing(conn, pool) -> None:
    e = await _estate(conn)
    fan, sent = _fanout(pool)
    assert await fan.handle(replace(_event(e), incident_id=2**62), None) == "unknown"
    await conn.execute(
        "UPDATE notification_channels SET secrets = 'garbage' WHERE id = $1", e.channels["hook"]
    )
    assert await fan.handle(_event(e), None) == "fanned"
    assert sent == []


async def test_notifications_speak_the_account_language(conn, pool) -> None:
    e = await _estate(conn)
    await conn.execute("UPDATE accounts SET language = 'de' WHERE id = $1", e.account)
    fan, sent = _fanout(pool)
    assert await fan.handle(_event(e), "8") == "fanned"
    assert decode_delivery(sent[-1]).notification.language == "de"


async def test_reminders_go_to_told_channels_once_per_interval(conn, pool) -> None:
    from datetime import timedelta

    from notifier import reminders

    e = await _estate(conn)
    fan, sent = _fanout(pool)
    await fan.handle(_event(e), "9")  # the opening, told to the linked enabled channel
    opened = len(sent)
    confirmed = await conn.fetchval("SELECT confirmed_at FROM incidents WHERE id = $1", e.incident)
    every = timedelta(minutes=10)
    mine = f"incident/c1/{e.incident}/reminder/"  # other tests' incidents share the database

    def reminded(since: int) -> list:
        return [d for d in map(decode_delivery, sent[since:]) if d.key.startswith(mine)]

    await reminders.remind_once(fan, every, confirmed + timedelta(minutes=5))
    assert reminded(opened) == []
    later = confirmed + timedelta(minutes=25)
    await reminders.remind_once(fan, every, later)
    [d] = reminded(opened)
    assert d.key.startswith(mine + "2/")
    assert (d.notification.kind, d.channel_id) == ("reminder", e.channels["hook"])
    count = len(sent)
    await reminders.remind_once(fan, every, later + timedelta(minutes=1))  # same reminder
    assert reminded(count) == []
    await conn.execute("UPDATE incidents SET resolved_at = now() WHERE id = $1", e.incident)


def test_the_reminder_owed_is_counted_from_confirmation() -> None:
    from datetime import UTC, datetime, timedelta

    from notifier.reminders import owed

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    every = timedelta(minutes=15)
    assert [owed(t0, t0 + timedelta(minutes=m), every) for m in (0, 14, 15, 44, 45)] == [
        0,
        0,
        1,
        2,
        3,
    ]
