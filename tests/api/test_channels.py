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

CHANNELS = "/api/v1/notification-channels"
HOOK = "https://hooks.example.com/T000/B000/very-secret-path"


async def _raw(engine: AsyncEngine, channel_id: int) -> str:
    async with engine.connect() as conn:
        row = (await conn.execute(select(notification_channels).where(
            notification_channels.c.id == channel_id))).one()
    return repr(row)


async def test_a_webhook_url_is_stored_encrypted_and_never_answered(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    created = await client.post(CHANNELS, json={"name": "ops", "kind": "slack",
                                                "config": {"webhook_url": HOOK}},
                                headers=user.headers)
    assert created.status_code == 201, created.text
    channel = created.json()
    assert channel["config"] == {"webhook_url": MASK}
    assert "very-secret-path" not in await _raw(engine, channel["id"])
    for response in [await client.get(f"{CHANNELS}/{channel['id']}", headers=user.headers),
                     await client.get(CHANNELS, headers=user.headers)]:
        assert "very-secret-path" not in response.text
    # Sent back masked, the secret stays; sent new, it changes.
    same = await client.patch(f"{CHANNELS}/{channel['id']}", json={
        "name": "ops 2", "config": {"webhook_url": MASK}}, headers=user.headers)
    assert same.status_code == 200, same.text
    async with engine.connect() as conn:
        sealed = await conn.scalar(select(notification_channels.c.secrets).where(
            notification_channels.c.id == channel["id"]))
    assert SecretBox(SECRET).open(sealed) == {"webhook_url": HOOK}
    with pytest.raises(SecretBoxError):
        SecretBox("another key").open(sealed)


async def test_email_channel_keeps_clear_fields_clear(client: httpx.AsyncClient, user: User
                                                      ) -> None:
    config = {"to": ["ops@example.com"], "smtp_host": "mail.example.com", "smtp_port": 587,
              "smtp_password": "hunter22"}
    channel = (await client.post(CHANNELS, json={"name": "mail", "kind": "email",
                                                 "config": config}, headers=user.headers)).json()
    assert channel["config"] == {**config, "smtp_password": MASK}
    patched = await client.patch(f"{CHANNELS}/{channel['id']}",
                                 json={"config": {"smtp_port": 465}}, headers=user.headers)
    assert patched.json()["config"] == {**config, "smtp_port": 465, "smtp_password": MASK}


async def test_monitors_using_a_channel(client: httpx.AsyncClient, user: User) -> None:
    channel = (await client.post(CHANNELS, json={"name": "hook", "kind": "webhook",
                                                 "config": {"webhook_url": HOOK}},
                                 headers=user.headers)).json()
    monitor = await create_monitor(client, user)
    path = f"{CHANNELS}/{channel['id']}/monitors"
    linked = await client.post(path, json={"monitor_id": monitor["id"]}, headers=user.headers)
    assert linked.status_code == 201
    assert (await client.post(path, json={"monitor_id": monitor["id"]}, headers=user.headers)
            ).status_code == 409
    assert (await client.get(path, headers=user.headers)).json() == {
        "items": [{"monitor_id": monitor["id"], "name": "site"}], "next": None}
    assert (await client.delete(f"{path}/{monitor['id']}", headers=user.headers)
            ).status_code == 204
    assert (await client.post(path, json={"monitor_id": 999999999}, headers=user.headers)
            ).status_code == 404


@pytest.mark.parametrize(("body", "loc"), [
    ({"name": "x", "kind": "pager", "config": {}}, ["body", "kind"]),
    ({"name": "x", "kind": "slack", "config": {}}, ["body", "config", "webhook_url"]),
    ({"name": "x", "kind": "slack", "config": {"webhook_url": "nope"}},
     ["body", "config", "webhook_url"]),
    ({"name": "x", "kind": "email", "config": {"to": ["not-mail"]}}, ["body", "config", "to", 0]),
    ({"name": "x", "kind": "email", "config": {"to": []}}, ["body", "config", "to"]),
    ({"name": "x", "kind": "email", "config": {"to": ["a@example.com"], "smtp_port": 0}},
     ["body", "config", "smtp_port"]),
    ({"name": "x", "kind": "telegram", "config": {"chat_id": "1", "bot_token": "short"}},
     ["body", "config", "bot_token"]),
    ({"name": "x", "kind": "webhook", "config": {"webhook_url": HOOK, "extra": 1}},
     ["body", "config", "extra"]),
    ({"name": "x", "kind": "webhook", "config": []}, ["body", "config"]),
])
async def test_bad_channels_are_422(client: httpx.AsyncClient, user: User, body: dict,
                                    loc: list) -> None:
    response = await send_json(client, "POST", CHANNELS, body, user.headers)
    assert_invalid(response, loc)
    assert "short" not in response.text or loc[-1] != "bot_token"  # secrets are not echoed
