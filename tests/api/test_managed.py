"""/api/v1/managed: the label `vigil apply` puts on what it made; and the file's schema."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import ascode_format
from shared.tables import managed_objects
from tests.api.helpers import User, assert_invalid, create_monitor, new_user

pytestmark = pytest.mark.integration


async def _count(engine: AsyncEngine, account_id: int) -> int:
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                select(func.count())
                .select_from(managed_objects)
                .where(managed_objects.c.account_id == account_id)
            )
        )


async def test_bind_list_rebind_and_unbind(client: httpx.AsyncClient, user: User):
    monitor = await create_monitor(client, user)
    put = await client.put(
        "/api/v1/managed/monitor/web", headers=user.headers, json={"object_id": monitor["id"]}
    )
    assert put.status_code == 200, put.text
    listed = await client.get("/api/v1/managed", headers=user.headers)
    assert listed.json() == {
        "items": [{"kind": "monitor", "key": "web", "object_id": monitor["id"]}],
        "next": None,
    }
    # The same object under a new key: one binding, not two.
    await client.put(
        "/api/v1/managed/monitor/site", headers=user.headers, json={"object_id": monitor["id"]}
    )
    keys = [
        i["key"]
        for i in (await client.get("/api/v1/managed", headers=user.headers)).json()["items"]
    ]
    assert keys == ["site"]
    gone = await client.delete("/api/v1/managed/monitor/site", headers=user.headers)
    assert gone.status_code == 204
    assert (
        await client.delete("/api/v1/managed/monitor/site", headers=user.headers)
    ).status_code == 404


async def test_a_deleted_object_is_not_listed(client: httpx.AsyncClient, user: User):
    monitor = await create_monitor(client, user)
    await client.put(
        "/api/v1/managed/monitor/web", headers=user.headers, json={"object_id": monitor["id"]}
    )
    await client.delete(f"/api/v1/monitors/{monitor['id']}", headers=user.headers)
    assert (await client.get("/api/v1/managed", headers=user.headers)).json()["items"] == []


async def test_another_accounts_object_is_not_found(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
):
    other = await new_user(client)
    monitor = await create_monitor(client, other)
    put = await client.put(
        "/api/v1/managed/monitor/web", headers=user.headers, json={"object_id": monitor["id"]}
    )
    assert put.status_code == 404
    assert await _count(engine, user.id) == 0


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/api/v1/managed/monitor/web", {"object_id": "x"}, ["body", "object_id"]),
        ("/api/v1/managed/monitor/web", {"object_id": 0}, ["body", "object_id"]),
        ("/api/v1/managed/monitor/web", {"object_id": 1, "extra": 1}, ["body", "extra"]),
        ("/api/v1/managed/monitor/web", {}, ["body", "object_id"]),
        ("/api/v1/managed/widget/web", {"object_id": 1}, ["path", "kind"]),
        ("/api/v1/managed/monitor/Not%20a%20key", {"object_id": 1}, ["path", "key"]),
        ("/api/v1/managed/monitor/" + "k" * 101, {"object_id": 1}, ["path", "key"]),
    ],
)
async def test_garbage_is_refused_naming_the_field(
    client: httpx.AsyncClient,
    user: User,
    engine: AsyncEngine,
    path: str,
    body: dict,
    loc: list[str],
):
    answer = await client.put(path, headers=user.headers, json=body)
    assert_invalid(answer, loc)
    assert await _count(engine, user.id) == 0


async def test_without_a_login_nothing(client: httpx.AsyncClient):
    assert (await client.get("/api/v1/managed")).status_code == 401
    assert (
        await client.put("/api/v1/managed/monitor/web", json={"object_id": 1})
    ).status_code == 401


async def test_the_file_schema_is_served_without_a_login(client: httpx.AsyncClient):
    answer = await client.get(ascode_format.SCHEMA_PATH)
    assert answer.status_code == 200
    assert answer.json() == ascode_format.json_schema()
