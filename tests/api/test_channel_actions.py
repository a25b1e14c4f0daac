"""A channel's "send test notification" action and its record of attempts."""

from __future__ import annotations

import aio_pika
import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import names
from shared.delivery_message import decode_delivery
from shared.secrets import decrypt_json
from shared.tables import notification_attempts
from tests.api.helpers import SECRET, User, client_for, new_user, unique_email
from tests.helpers import eventually, short_name

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

CHANNELS = "/api/v1/notification-channels"
WEBHOOK = {"url": "https://hooks.example.com/in/abc", "secret": "0123456789abcdef"}


async def _channel(client: httpx.AsyncClient, user: User) -> int:
    created = await client.post(
        CHANNELS, headers=user.headers, json={"name": "ops", "kind": "webhook", "config": WEBHOOK}
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def test_a_test_notification_is_queued_for_the_cell_s_notifier(
    database_url: str, amqp_url: str
) -> None:
    cell = short_name("t")
    async with client_for(database_url, VIGIL_AMQP_URL=amqp_url, VIGIL_CELL=cell) as client:
        user = await new_user(client)
        channel_id = await _channel(client, user)
        answered = await client.post(f"{CHANNELS}/{channel_id}/test", headers=user.headers)
        assert answered.status_code == 202, answered.text
        again = await client.post(f"{CHANNELS}/{channel_id}/test", headers=user.headers)
        assert again.json()["key"] != answered.json()["key"]  # each press is its own delivery
    conn = await aio_pika.connect(amqp_url)
    async with conn:
        channel = await conn.channel()
        queue = await channel.declare_queue(names.deliveries_queue(cell), passive=True)
        message = await eventually(lambda: queue.get(fail=False), "the test delivery")
        await message.ack()
    d = decode_delivery(message.body)
    assert d.key == answered.json()["key"]
    assert (d.channel_kind, d.channel_id, d.account_id) == ("webhook", channel_id, user.id)
    assert d.notification.kind == "test" and d.notification.monitor == "ops"
    assert decrypt_json(SECRET, d.sealed_config) == WEBHOOK
    assert b"0123456789abcdef" not in message.body


async def test_without_a_broker_the_test_is_a_503_and_the_api_goes_on(
    client: httpx.AsyncClient, user: User
) -> None:
    channel_id = await _channel(client, user)
    for _ in range(2):  # a failed connection is tried anew, not cached broken
        response = await client.post(f"{CHANNELS}/{channel_id}/test", headers=user.headers)
        assert response.status_code == 503, response.text
    assert (await client.get(f"{CHANNELS}/{channel_id}", headers=user.headers)).status_code == 200


async def test_attempts_are_listed_per_channel_paginated_and_scoped(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    channel_id = await _channel(client, user)
    other = await _channel(client, user)
    async with engine.begin() as conn:
        await conn.execute(
            insert(notification_attempts),
            [
                {
                    "idempotency_key": f"k/{channel_id}",
                    "account_id": user.id,
                    "channel_id": channel_id,
                    "channel_kind": "webhook",
                    "attempt": n,
                    "duration_ms": 3.5,
                    "outcome": outcome,
                    "error": error,
                    "detail": detail,
                }
                for n, outcome, error, detail in [
                    (1, "retry", "HTTP 500", None),
                    (2, "sent", None, "HTTP 200: ok"),
                ]
            ]
            + [
                {
                    "idempotency_key": f"k/{other}",
                    "account_id": user.id,
                    "channel_id": other,
                    "channel_kind": "webhook",
                    "attempt": 1,
                    "duration_ms": 1,
                    "outcome": "sent",
                    "error": None,
                    "detail": None,
                }
            ],
        )
    path = f"{CHANNELS}/{channel_id}/attempts"
    first = (await client.get(path, params={"limit": 1}, headers=user.headers)).json()
    assert [(a["attempt"], a["outcome"], a["error"]) for a in first["items"]] == [
        (1, "retry", "HTTP 500")
    ]
    second = (
        await client.get(path, params={"limit": 1, "cursor": first["next"]}, headers=user.headers)
    ).json()
    assert [(a["attempt"], a["detail"], a["key"]) for a in second["items"]] == [
        (2, "HTTP 200: ok", f"k/{channel_id}")
    ]
    assert second["next"] is None
    stranger = await new_user(client)
    assert (await client.get(path, headers=stranger.headers)).status_code == 404
    assert (
        await client.post(f"{CHANNELS}/{channel_id}/test", headers=stranger.headers)
    ).status_code == 404


async def test_an_operator_makes_hook_channels_of_registered_hooks_only(database_url: str) -> None:
    operator = unique_email()
    async with client_for(
        database_url, VIGIL_ADMIN_EMAILS=operator, VIGIL_HOOKS="page=/bin/true"
    ) as client:
        user = await new_user(client, operator)
        made = await client.post(
            CHANNELS,
            headers=user.headers,
            json={"name": "pager", "kind": "hook", "config": {"name": "page"}},
        )
        assert made.status_code == 201, made.text
        assert made.json()["config"] == {"name": "page"}
        unknown = await client.post(
            CHANNELS,
            headers=user.headers,
            json={"name": "x", "kind": "hook", "config": {"name": "rm"}},
        )
        assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == [
            "body",
            "config",
            "name",
        ]
        renamed = await client.patch(
            f"{CHANNELS}/{made.json()['id']}", headers=user.headers, json={"config": {"name": "rm"}}
        )
        assert renamed.status_code == 422
        stranger = await new_user(client)
        assert (
            await client.post(
                CHANNELS,
                headers=stranger.headers,
                json={"name": "x", "kind": "hook", "config": {"name": "page"}},
            )
        ).status_code == 403
