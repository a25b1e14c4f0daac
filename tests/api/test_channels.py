"""Notification channels: secrets encrypted at rest, masked in answers, kept on PATCH."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.channels import MASK
from api.secretbox import SecretBox, SecretBoxError
from shared.tables import notification_channels
from tests.api.helpers import SECRET, User, assert_invalid, create_monitor, send_json

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

CHANNELS = "/api/v1/notification-channels"
HOOK = "https://hooks.example.com/T000/B000/very-secret-path"
WEBHOOK = {"url": HOOK, "secret": "s3cret-s3cret-s3cret"}


async def _raw(engine: AsyncEngine, channel_id: int) -> str:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(notification_channels).where(notification_channels.c.id == channel_id)
            )
        ).one()
    return repr(row)


async def test_a_webhook_url_is_stored_encrypted_and_never_answered(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    created = await client.post(
        CHANNELS,
        json={"name": "ops", "kind": "slack", "config": {"url": HOOK}},
        headers=user.headers,
    )
    assert created.status_code == 201, created.text
    channel = created.json()
    assert channel["config"] == {"url": MASK}
    assert "very-secret-path" not in await _raw(engine, channel["id"])
    for response in [
        await client.get(f"{CHANNELS}/{channel['id']}", headers=user.headers),
        await client.get(CHANNELS, headers=user.headers),
    ]:
        assert "very-secret-path" not in response.text
    # Sent back masked, the secret stays; sent new, it changes.
    same = await client.patch(
        f"{CHANNELS}/{channel['id']}",
        json={"name": "ops 2", "config": {"url": MASK}},
        headers=user.headers,
    )
    assert same.status_code == 200, same.text
    async with engine.connect() as conn:
        sealed = await conn.scalar(
            select(notification_channels.c.secrets).where(
                notification_channels.c.id == channel["id"]
            )
        )
    assert SecretBox(SECRET).open(sealed) == {"url": HOOK}
    with pytest.raises(SecretBoxError):
        SecretBox("another key").open(sealed)


async def test_email_channel_keeps_clear_fields_clear(
    client: httpx.AsyncClient, user: User
) -> None:
    config = {
        "to": ["ops@example.com"],
        "from": "vigil@example.com",
        "host": "mail.example.com",
        "port": 587,
        "security": "starttls",
        "username": "ops",
        "password": "hunter22",
    }
    channel = (
        await client.post(
            CHANNELS, json={"name": "mail", "kind": "email", "config": config}, headers=user.headers
        )
    ).json()
    assert channel["config"] == {**config, "password": MASK}
    patched = await client.patch(
        f"{CHANNELS}/{channel['id']}", json={"config": {"port": 465}}, headers=user.headers
    )
    assert patched.json()["config"] == {**config, "port": 465, "password": MASK}


async def test_monitors_using_a_channel(client: httpx.AsyncClient, user: User) -> None:
    channel = (
        await client.post(
            CHANNELS,
            json={"name": "hook", "kind": "webhook", "config": WEBHOOK},
            headers=user.headers,
        )
    ).json()
    monitor = await create_monitor(client, user)
    path = f"{CHANNELS}/{channel['id']}/monitors"
    linked = await client.post(path, json={"monitor_id": monitor["id"]}, headers=user.headers)
    assert linked.status_code == 201
    assert (
        await client.post(path, json={"monitor_id": monitor["id"]}, headers=user.headers)
    ).status_code == 409
    assert (await client.get(path, headers=user.headers)).json() == {
        "items": [{"monitor_id": monitor["id"], "name": "site"}],
        "next": None,
    }
    assert (await client.delete(f"{path}/{monitor['id']}", headers=user.headers)).status_code == 204
    assert (
        await client.post(path, json={"monitor_id": 999999999}, headers=user.headers)
    ).status_code == 404


@pytest.mark.parametrize(
    ("kind", "config", "secret"),
    [
        ("webhook", WEBHOOK, {"url", "secret"}),
        ("slack", {"url": HOOK}, {"url"}),
        ("teams", {"url": HOOK}, {"url"}),
        ("discord", {"url": HOOK}, {"url"}),
        ("mattermost", {"url": HOOK, "username": "vigil"}, {"url"}),
        ("telegram", {"chat_id": "-100123", "token": "123456:" + "A" * 30}, {"token"}),
        ("pagerduty", {"routing_key": "R" * 32}, {"routing_key"}),
        ("email", {"to": ["ops@example.com"]}, set()),
    ],
)
async def test_every_kind_masks_its_secrets(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine, kind: str, config: dict, secret: set
) -> None:
    """The keys are those the notifier's channel reads; the secret ones are sealed."""
    created = await client.post(
        CHANNELS, json={"name": kind, "kind": kind, "config": config}, headers=user.headers
    )
    assert created.status_code == 201, created.text
    answered = created.json()["config"]
    assert answered == {k: MASK if k in secret else v for k, v in config.items()}
    raw = await _raw(engine, created.json()["id"])
    for key in secret:
        assert str(config[key]) not in raw


async def test_hook_channels_are_for_operators_and_registered_hooks(
    client: httpx.AsyncClient, user: User
) -> None:
    """The `user` fixture is no operator: a hook channel is refused before its name counts."""
    response = await client.post(
        CHANNELS,
        json={"name": "h", "kind": "hook", "config": {"name": "page"}},
        headers=user.headers,
    )
    assert response.status_code == 403, response.text


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"name": "x", "kind": "pager", "config": {}}, ["body", "kind"]),
        ({"name": "x", "kind": "slack", "config": {}}, ["body", "config", "url"]),
        ({"name": "x", "kind": "slack", "config": {"url": "nope"}}, ["body", "config", "url"]),
        ({"name": "x", "kind": "webhook", "config": {"url": HOOK}}, ["body", "config", "secret"]),
        (
            {"name": "x", "kind": "webhook", "config": {"url": HOOK, "secret": "tiny-secret"}},
            ["body", "config", "secret"],
        ),
        (
            {"name": "x", "kind": "pagerduty", "config": {"routing_key": "a b"}},
            ["body", "config", "routing_key"],
        ),
        (
            {"name": "x", "kind": "hook", "config": {"name": "../bin/sh"}},
            ["body", "config", "name"],
        ),
        (
            {"name": "x", "kind": "email", "config": {"to": ["a@example.com"], "security": "ssl"}},
            ["body", "config", "security"],
        ),
        (
            {"name": "x", "kind": "email", "config": {"to": ["a@example.com"], "from": "nobody"}},
            ["body", "config", "from"],
        ),
        (
            {
                "name": "x",
                "kind": "email",
                "config": {
                    "to": ["a@example.com"],
                    "username": "u",
                    "password": "tiny-pw",
                    "security": "plain",
                },
            },
            ["body", "config"],
        ),
        (
            {"name": "x", "kind": "email", "config": {"to": ["not-mail"]}},
            ["body", "config", "to", 0],
        ),
        ({"name": "x", "kind": "email", "config": {"to": []}}, ["body", "config", "to"]),
        (
            {"name": "x", "kind": "email", "config": {"to": ["a@example.com"], "port": 0}},
            ["body", "config", "port"],
        ),
        (
            {"name": "x", "kind": "telegram", "config": {"chat_id": "1", "token": "tiny"}},
            ["body", "config", "token"],
        ),
        (
            {"name": "x", "kind": "webhook", "config": {**WEBHOOK, "extra": 1}},
            ["body", "config", "extra"],
        ),
        ({"name": "x", "kind": "webhook", "config": []}, ["body", "config"]),
    ],
)
async def test_bad_channels_are_422(
    client: httpx.AsyncClient, user: User, body: dict, loc: list
) -> None:
    response = await send_json(client, "POST", CHANNELS, body, user.headers)
    assert_invalid(response, loc)
    assert "tiny" not in response.text  # secrets are not echoed
