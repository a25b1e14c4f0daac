"""The owner's news on a status page (manual incidents, maintenance) told to its subscribers
through the subscriber fan-out: who hears, in which words, once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from notifier.channels.email import build
from notifier.delivery import decode_delivery
from notifier.fanout import FanOut
from shared.messages import PageEvent
from tests.notifier.test_fanout import Estate, _estate, _fanout
from tests.notifier.test_subscriber_fanout import _page, _subscriber, _subscribers

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    yield p
    await p.close()


async def _manual(
    conn: asyncpg.Connection, e: Estate, page: int, status: str = "identified"
) -> tuple[int, int]:
    """A manual incident touching the estate's monitor; its id and its first update's."""
    incident = await conn.fetchval(
        "INSERT INTO manual_incidents (page_id, account_id, title, status) "
        "VALUES ($1, $2, 'Payments slow', $3) RETURNING id",
        page,
        e.account,
        status,
    )
    await conn.execute(
        "INSERT INTO manual_incident_monitors (incident_id, monitor_id, impact) "
        "VALUES ($1, $2, 'partial_outage')",
        incident,
        e.monitor,
    )
    return incident, await _update(conn, incident, status, "The card processor is slow.")


async def _update(conn: asyncpg.Connection, incident: int, status: str, message: str) -> int:
    if status == "resolved":
        await conn.execute(
            "UPDATE manual_incidents SET status = 'resolved', resolved_at = now() WHERE id = $1",
            incident,
        )
    return await conn.fetchval(
        "INSERT INTO manual_incident_updates (incident_id, status, "
        "message) VALUES ($1, $2, $3) RETURNING id",
        incident,
        status,
        message,
    )


async def _told(fan: FanOut, sent: list[bytes], event: PageEvent) -> dict:
    sent.clear()
    assert await fan.handle(event, None) == "fanned"
    return _subscribers(sent)


async def test_manual_incident_open_update_resolve_reach_the_covered_subscribers_once(
    conn, pool
) -> None:
    e = await _estate(conn)
    page = await _page(conn, e)
    await _subscriber(conn, e, page, "all@example.com")
    await _subscriber(conn, e, page, "web@example.com", groups=["web"])
    await _subscriber(conn, e, page, "mon@example.com", monitor_ids=[e.monitor])
    await _subscriber(conn, e, page, "waiting@example.com", confirmed=False)
    await _subscriber(conn, e, page, "other@example.com", groups=["other"])
    await _subscriber(conn, e, page, "elsewhere@example.com", monitor_ids=[e.monitor + 10**6])
    incident, first = await _manual(conn, e, page)
    fan, sent = _fanout(pool)
    opened = PageEvent("manual_opened", "c1", incident, first)
    heard = await _told(fan, sent, opened)
    assert sorted(heard) == ["all@example.com", "mon@example.com", "web@example.com"]
    d, config = heard["all@example.com"]
    n = d.notification
    assert (d.channel_kind, n.kind, n.monitor, n.language) == (
        "email",
        "manual_opened",
        "Payments slow",
        "de",
    )
    assert d.key == f"manual/c1/{incident}/opened/sub{d.key.rsplit('sub', 1)[1]}"
    mail = build(n, "vigil@example.com", config["to"], config["unsubscribe_url"])
    text = mail.get_body(("plain",)).get_content()
    assert mail["Subject"] == "[Vigil] Störung: Payments slow"  # the page's language
    assert "Shop (teilweiser Ausfall)" in text and "The card processor is slow." in text
    assert "Ursache erkannt" in text and mail["List-Unsubscribe"]
    assert (await _told(fan, sent, opened)).keys() == heard.keys()  # a replay: same keys
    assert {v[0].key for v in _subscribers(sent).values()} == {v[0].key for v in heard.values()}

    late = await _subscriber(conn, e, page, "late@example.com")
    update = await _update(conn, incident, "monitoring", "A fix is out.")
    updated = await _told(fan, sent, PageEvent("manual_updated", "c1", incident, update))
    assert sorted(updated) == sorted(heard)  # who came during the incident hears the next
    assert updated["all@example.com"][0].notification.note == "A fix is out."
    assert updated["all@example.com"][0].key.startswith(f"manual/c1/{incident}/updated/{update}/")
    end = await _update(conn, incident, "resolved", "All good.")
    resolved = await _told(fan, sent, PageEvent("manual_resolved", "c1", incident, end))
    assert sorted(resolved) == sorted(heard) and late not in resolved
    n = resolved["mon@example.com"][0].notification
    assert n.kind == "manual_resolved" and n.resolved_at is not None
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM notification_deliveries WHERE idempotency_key LIKE $1",
            f"manual/c1/{incident}/%",
        )
        == 9
    )


async def test_maintenance_of_a_monitor_and_of_a_page_and_its_end_only_to_those_told(
    conn, pool
) -> None:
    e = await _estate(conn)
    page = await _page(conn, e)
    await _subscriber(conn, e, page, "all@example.com")
    await _subscriber(conn, e, page, "other@example.com", groups=["other"])
    start = datetime.now(UTC) + timedelta(hours=1)
    window = await conn.fetchval(
        "INSERT INTO maintenance_windows (account_id, title, starts_at, ends_at, monitor_id) "
        "VALUES ($1, 'DB upgrade', $2, $3, $4) RETURNING id",
        e.account,
        start,
        start + timedelta(hours=1),
        e.monitor,
    )
    ms = int(start.timestamp() * 1000)
    fan, sent = _fanout(pool)
    scheduled = await _told(
        fan, sent, PageEvent("maintenance_scheduled", "c1", window, None, ms, ms + 3_600_000)
    )
    assert sorted(scheduled) == ["all@example.com"]  # "other" does not cover the monitor
    n = scheduled["all@example.com"][0].notification
    assert (n.kind, n.monitor, n.extra["monitor"], n.started_at) == (
        "maintenance_scheduled",
        "DB upgrade",
        "Shop",
        start.replace(microsecond=ms % 1000 * 1000),
    )
    ended = PageEvent("maintenance_ended", "c1", window, None, ms, ms + 3_600_000)
    assert await _told(fan, sent, ended) == {}  # nobody was told it started
    await _told(fan, sent, PageEvent("maintenance_started", "c1", window, None, ms, ms + 3_600_000))
    assert sorted(await _told(fan, sent, ended)) == ["all@example.com"]

    whole = await conn.fetchval(
        "INSERT INTO maintenance_windows (account_id, title, starts_at, ends_at, "
        "status_page_id) VALUES ($1, 'Move', $2, $3, $4) RETURNING id",
        e.account,
        start,
        start + timedelta(hours=1),
        page,
    )
    heard = await _told(
        fan, sent, PageEvent("maintenance_started", "c1", whole, None, ms, ms + 3_600_000)
    )
    assert sorted(heard) == ["all@example.com", "other@example.com"]  # the whole page


async def test_an_event_of_something_gone_is_unknown_and_sends_nothing(conn, pool) -> None:
    e = await _estate(conn)
    page = await _page(conn, e)
    await _subscriber(conn, e, page, "all@example.com")
    incident, first = await _manual(conn, e, page)
    await conn.execute("DELETE FROM manual_incidents WHERE id = $1", incident)
    fan, sent = _fanout(pool)
    assert await fan.handle(PageEvent("manual_opened", "c1", incident, first), None) == "unknown"
    assert (
        await fan.handle(
            PageEvent("maintenance_started", "c1", 10**12, None, 10**12, 10**12 + 1), None
        )
        == "unknown"
    )
    assert sent == []


async def test_webhook_subscribers_get_the_page_event_document(conn, pool) -> None:
    from shared.secrets import encrypt_json
    from tests.notifier.test_fanout import KEY

    e = await _estate(conn)
    page = await _page(conn, e)
    await _subscriber(
        conn,
        e,
        page,
        "https://hooks.example/s",
        kind="webhook",
        secrets=encrypt_json(KEY, {"secret": "k" * 16}),
    )
    incident, first = await _manual(conn, e, page)
    fan, sent = _fanout(pool)
    d, config = (await _told(fan, sent, PageEvent("manual_opened", "c1", incident, first)))[
        "https://hooks.example/s"
    ]
    assert d.channel_kind == "webhook" and config["secret"] == "k" * 16
    body = json.loads(json.dumps(decode_delivery(sent[0]).notification.to_dict()))
    assert body["extra"]["affected"] == [["Shop", "partial_outage"]]
    assert body["extra"]["status"] == "identified"
