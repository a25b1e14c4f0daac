"""GET /notification-channels/{id}/attempts: what each attempt told, in fields, and both
orders a page at a time."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.tables import notification_attempts
from tests.api.helpers import User

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

CHANNELS = "/api/v1/notification-channels"
FIELDS = ("key", "event", "incident_id", "test_id", "exit_code", "output")


async def _channel(client: httpx.AsyncClient, user: User) -> int:
    made = await client.post(
        CHANNELS,
        headers=user.headers,
        json={
            "name": "ops",
            "kind": "webhook",
            "config": {"url": "https://hooks.example.com/in/abc", "secret": "0123456789abcdef"},
        },
    )
    assert made.status_code == 201, made.text
    return made.json()["id"]


async def _seed(
    engine: AsyncEngine, user: User, channel_id: int, rows: list[dict[str, Any]]
) -> None:
    """Attempts as the notifier records them (a hook's rows say kind "hook")."""
    async with engine.begin() as conn:
        await conn.execute(
            insert(notification_attempts),
            [
                {
                    "account_id": user.id,
                    "channel_id": channel_id,
                    "channel_kind": "webhook",
                    "attempt": 1,
                    "duration_ms": 2.0,
                    "outcome": "sent",
                    "error": None,
                    "detail": None,
                    **row,
                }
                for row in rows
            ],
        )


async def _get(
    client: httpx.AsyncClient, user: User, channel_id: int, **params: Any
) -> httpx.Response:
    return await client.get(
        f"{CHANNELS}/{channel_id}/attempts", params=params, headers=user.headers
    )


async def test_each_attempt_says_what_it_told(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    cid = await _channel(client, user)
    await _seed(
        engine,
        user,
        cid,
        [
            {"idempotency_key": f"test/{cid}/0af3/{cid}"},
            {"idempotency_key": f"cert/a/812/2026-03-01/{cid}"},
            {
                "idempotency_key": f"incident/a/77/opened/{cid}",
                "channel_kind": "hook",
                "detail": "hook page exit 0: paged\nthe on-call",
            },
            {
                "idempotency_key": f"incident/a/77/changed/degraded/msg-1/{cid}",
                "channel_kind": "hook",
                "outcome": "failed",
                "permanent": True,
                "error": "hook page exit 3",
                "detail": "hook page exit 3",
            },
            {
                "idempotency_key": f"incident/a/77/reminder/2/{cid}",
                "channel_kind": "hook",
                "outcome": "retry",
                "error": "hook timed out after 5 s",
            },
            {"idempotency_key": f"incident/a/77/resolved/{cid}", "detail": "HTTP 200: ok"},
        ],
    )
    items = (await _get(client, user, cid)).json()["items"]
    assert [tuple(a[f] for f in FIELDS[1:]) for a in items] == [
        ("test", None, None, None, None),
        ("cert_expiring", None, 812, None, None),
        ("incident_opened", 77, None, 0, "paged\nthe on-call"),
        ("incident_changed", 77, None, 3, ""),
        ("incident_reminder", 77, None, None, None),  # timed out: no exit code
        ("incident_resolved", 77, None, None, None),  # not a hook
    ]
    assert items[5]["detail"] == "HTTP 200: ok"  # the stored text stays as it was


async def test_garbage_keys_and_notes_are_other_with_null_fields(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    cid = await _channel(client, user)
    garbage = [
        "k/1",
        "incident/a/x/opened/3",
        "incident/a/77/closed/3",
        "test",
        "cert/a/9/soon/3",
        "incident/a/0/opened/3",
        "incident/a/77/opened/3\x01",
    ]
    await _seed(
        engine,
        user,
        cid,
        [
            {
                "idempotency_key": key,
                "channel_kind": "hook",
                "error": "hook page exit two: x",
                "detail": "exit 3: no hook",
            }
            for key in garbage
        ],
    )
    items = (await _get(client, user, cid)).json()["items"]
    assert [tuple(a[f] for f in FIELDS) for a in items] == [
        (key, "other", None, None, None, None) for key in garbage
    ]


async def test_both_orders_page_through_every_attempt(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    cid = await _channel(client, user)
    other = await _channel(client, user)  # its attempts are never listed with these
    await _seed(engine, user, other, [{"idempotency_key": "incident/a/1/opened/9"}])
    await _seed(
        engine,
        user,
        cid,
        [{"idempotency_key": f"incident/a/{n}/opened/{cid}"} for n in range(1, 6)],
    )
    seen: dict[str, list[list[int]]] = {}
    for order in ("oldest", "newest"):
        pages, cursor = [], None
        while True:
            params = {"limit": 2, "order": order, **({"cursor": cursor} if cursor else {})}
            body = (await _get(client, user, cid, **params)).json()
            pages.append([a["incident_id"] for a in body["items"]])
            cursor = body["next"]
            if cursor is None:
                break
        seen[order] = pages
    assert seen == {"oldest": [[1, 2], [3, 4], [5]], "newest": [[5, 4], [3, 2], [1]]}
    default = (await _get(client, user, cid, limit=2)).json()
    assert [a["incident_id"] for a in default["items"]] == [1, 2]
    # A cursor of one order does not page the other: it would start from the wrong end.
    newest = (await _get(client, user, cid, limit=2, order="newest")).json()
    for order, cursor in (("oldest", newest["next"]), ("newest", default["next"])):
        refused = await _get(client, user, cid, order=order, cursor=cursor)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize(
    "order", ["", "NEWEST", "desc", "newest ", "1", "oldest,newest", "x" * 300, "newest\x00"]
)
async def test_garbage_order_is_422_naming_it(
    client: httpx.AsyncClient, user: User, order: str
) -> None:
    cid = await _channel(client, user)
    response = await _get(client, user, cid, order=order)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", "order"]
