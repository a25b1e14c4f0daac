"""The fan-out to status page subscribers: who hears of an incident, in which words, once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from notifier.delivery import decode_delivery
from shared import subscriptions as tokens
from shared.secrets import decrypt_json, encrypt_json
from tests.helpers import short_name
from tests.notifier.test_fanout import KEY, Estate, _estate, _event, _fanout

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    yield p
    await p.close()


async def _page(conn: asyncpg.Connection, e: Estate, group: str = "web") -> int:
    page = await conn.fetchval(
        "INSERT INTO status_pages (account_id, slug, title, language, groups) "
        "VALUES ($1, $2, 'Shop status', 'de', $3) RETURNING id",
        e.account,
        short_name("p"),
        json.dumps([group, "other"]),
    )
    await conn.execute(
        "INSERT INTO status_page_monitors (page_id, monitor_id, account_id, "
        "group_name) VALUES ($1, $2, $3, $4)",
        page,
        e.monitor,
        e.account,
        group,
    )
    return page


async def _subscriber(
    conn: asyncpg.Connection,
    e: Estate,
    page: int,
    address: str,
    confirmed: bool = True,
    kind: str = "email",
    secrets: str | None = None,
    **scope: Any,
) -> int:
    return await conn.fetchval(
        "INSERT INTO status_subscribers (page_id, account_id, kind, address, secrets, "
        "monitor_ids, groups, language, confirmed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
        "'de', CASE WHEN $8 THEN now() END) RETURNING id",
        page,
        e.account,
        kind,
        address,
        secrets,
        json.dumps(scope["monitor_ids"]) if "monitor_ids" in scope else None,
        json.dumps(scope["groups"]) if "groups" in scope else None,
        confirmed,
    )


def _subscribers(sent: list[bytes]) -> dict[str, Any]:
    """The subscriber deliveries among those published, by recipient."""
    out = {}
    for body in sent:
        d = decode_delivery(body)
        if d.channel_id is None:
            config = decrypt_json(KEY, d.sealed_config)
            out[(config.get("to") or [config.get("url")])[0]] = (d, config)
    return out


async def test_confirmed_subscribers_whose_scope_covers_the_monitor_hear_once(conn, pool) -> None:
    e = await _estate(conn)
    page = await _page(conn, e)
    whole = await _subscriber(conn, e, page, "all@example.com")
    await _subscriber(conn, e, page, "web@example.com", groups=["web"])
    await _subscriber(conn, e, page, "mon@example.com", monitor_ids=[e.monitor])
    await _subscriber(conn, e, page, "waiting@example.com", confirmed=False)
    await _subscriber(conn, e, page, "other@example.com", groups=["other"])
    await _subscriber(conn, e, page, "elsewhere@example.com", monitor_ids=[e.monitor + 10**6])
    fan, sent = _fanout(pool)
    assert await fan.handle(_event(e), "9") == "fanned"
    heard = _subscribers(sent)
    assert sorted(heard) == ["all@example.com", "mon@example.com", "web@example.com"]
    d, config = heard["all@example.com"]
    n = d.notification
    assert (d.channel_kind, n.kind, n.monitor, n.language) == ("email", "opened", "Shop", "de")
    assert n.target == "" and n.regions == () and "failing" not in json.dumps(n.to_dict())
    slug = await conn.fetchval("SELECT slug FROM status_pages WHERE id = $1", page)
    assert n.url == f"http://127.0.0.1:8080/s/{slug}"
    leave = config["unsubscribe_url"].rsplit("token=", 1)[1]
    assert tokens.verify(KEY, tokens.UNSUBSCRIBE, leave).subscriber_id == whole
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM notification_deliveries WHERE "
            "incident_id = $1 AND subscriber_id IS NOT NULL",
            e.incident,
        )
        == 3
    )
    # A replay of the event makes the same keys: the ledger sends each once.
    sent.clear()
    await fan.handle(_event(e), "9")
    assert {k: v[0].key for k, v in _subscribers(sent).items()} == {
        k: v[0].key for k, v in heard.items()
    }


async def test_resolved_is_told_only_to_subscribers_told_of_the_opening(conn, pool) -> None:
    e = await _estate(conn)
    page = await _page(conn, e)
    await _subscriber(conn, e, page, "early@example.com")
    fan, sent = _fanout(pool)
    await fan.handle(_event(e), None)
    await _subscriber(conn, e, page, "late@example.com")
    sent.clear()
    await fan.handle(_event(e, "changed", "degraded"), "u1")
    # A subscriber who came during the incident hears from the next one, as channels do.
    assert sorted(_subscribers(sent)) == ["early@example.com"]
    assert decode_delivery(sent[-1]).notification.kind == "updated"
    sent.clear()
    await fan.handle(_event(e, "reminder"), None)
    assert _subscribers(sent) == {}  # reminders are for the team only
    await fan.handle(_event(e, "resolved", "resolved"), None)
    assert sorted(_subscribers(sent)) == ["early@example.com"]


async def test_webhook_subscribers_get_their_signing_secret(conn, pool) -> None:
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
    fan, sent = _fanout(pool)
    await fan.handle(_event(e), None)
    d, config = _subscribers(sent)["https://hooks.example/s"]
    assert d.channel_kind == "webhook" and config == {
        "url": "https://hooks.example/s",
        "secret": "k" * 16,
    }
