"""API keys: shown once, stored hashed, usable as Bearer, never above the creator's role."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.tables import api_keys
from tests.api.helpers import User, assert_invalid, create_monitor, send_json

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

KEYS = "/api/v1/api-keys"


async def test_a_key_is_shown_once_and_opens_the_api(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    monitor = await create_monitor(client, user)
    created = await client.post(KEYS, json={"name": "deploy script"}, headers=user.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    key = body.pop("key")
    assert key.startswith("vk_") and body["prefix"] == key[:10] and body["role"] == "owner"
    listed = (await client.get(KEYS, headers=user.headers)).json()
    assert listed == {"items": [body], "next": None}  # no key in lists
    async with engine.connect() as conn:
        stored = await conn.scalar(select(api_keys.c.key_hash).where(api_keys.c.id == body["id"]))
    assert key.encode() not in stored
    as_key = {"Authorization": f"Bearer {key}"}
    got = await client.get(f"/api/v1/monitors/{monitor['id']}", headers=as_key)
    assert got.json() == monitor
    assert (await client.delete(f"{KEYS}/{body['id']}", headers=user.headers)).status_code == 204
    refused = await client.get("/api/v1/monitors", headers=as_key)
    assert (refused.status_code, refused.json()) == (401, {"detail": "invalid API key"})


async def test_a_viewer_key_cannot_write(client: httpx.AsyncClient, user: User) -> None:
    created = await client.post(KEYS, json={"name": "ro", "role": "viewer"}, headers=user.headers)
    key = created.json()["key"]
    as_key = {"Authorization": f"Bearer {key}"}
    assert (await client.get("/api/v1/monitors", headers=as_key)).status_code == 200
    response = await client.post("/api/v1/monitors", json={}, headers=as_key)
    assert response.status_code == 403
    assert response.json() == {"detail": "this needs the editor role"}


async def test_an_unknown_key_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/monitors", headers={"Authorization": "Bearer vk_nope"})
    assert response.status_code == 401


async def test_bad_key_bodies_are_422(client: httpx.AsyncClient, user: User) -> None:
    cases = [
        ({}, ["body", "name"]),
        ({"name": ""}, ["body", "name"]),
        ({"name": "k", "role": "admin"}, ["body", "role"]),
        ({"name": "k\x00"}, ["body", "name"]),
        ({"name": "k", "x": 1}, ["body", "x"]),
    ]
    for body, loc in cases:
        assert_invalid(await send_json(client, "POST", KEYS, body, user.headers), loc)
