"""Bulk actions on a selection of monitors: all of it or, with one foreign id, none."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.tables import status_page_monitors, tests
from tests.api.helpers import User, assert_invalid, create_monitor, http_test, new_user
from tests.api.test_status_pages import create_page
from tests.api.test_team import invite_member

pytestmark = pytest.mark.integration

BULK = "/api/v1/monitors/bulk"


async def three(client: httpx.AsyncClient, user: User) -> list[int]:
    return [
        (await create_monitor(client, user, name=f"m{i}", tests=[http_test()]))["id"]
        for i in range(3)
    ]


async def enabled(engine: AsyncEngine, ids: list[int]) -> list[bool]:
    async with engine.connect() as conn:
        return list(
            (
                await conn.execute(
                    select(tests.c.enabled)
                    .where(tests.c.monitor_id.in_(ids))
                    .order_by(tests.c.monitor_id)
                )
            ).scalars()
        )


async def test_pause_then_resume(
    client: httpx.AsyncClient, engine: AsyncEngine, user: User
) -> None:
    ids = await three(client, user)
    paused = await client.post(BULK, json={"action": "pause", "ids": ids[:2]}, headers=user.headers)
    assert paused.json() == {"action": "pause", "count": 2}
    assert await enabled(engine, ids) == [False, False, True]
    await client.post(BULK, json={"action": "resume", "ids": ids}, headers=user.headers)
    assert await enabled(engine, ids) == [True, True, True]


async def test_delete(client: httpx.AsyncClient, user: User) -> None:
    ids = await three(client, user)
    gone = await client.post(BULK, json={"action": "delete", "ids": ids[1:]}, headers=user.headers)
    assert gone.json() == {"action": "delete", "count": 2}
    listed = (await client.get("/api/v1/monitors", headers=user.headers)).json()["items"]
    assert [m["id"] for m in listed] == ids[:1]


async def test_add_to_a_status_page_in_a_group(
    client: httpx.AsyncClient, engine: AsyncEngine, user: User
) -> None:
    ids = await three(client, user)
    page = await create_page(client, user, groups=["Web"])
    body = {
        "action": "add_to_status_page",
        "ids": ids,
        "status_page_id": page["id"],
        "group": "Web",
    }
    added = await client.post(BULK, json=body, headers=user.headers)
    assert added.json() == {"action": "add_to_status_page", "count": 3}
    again = await client.post(BULK, json=body, headers=user.headers)
    assert again.json()["count"] == 0  # already on it: nothing added twice
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(status_page_monitors.c.monitor_id, status_page_monitors.c.group_name).where(
                    status_page_monitors.c.page_id == page["id"]
                )
            )
        ).all()
    assert sorted(rows) == [(i, "Web") for i in ids]


async def test_a_foreign_id_refuses_the_whole_selection(
    client: httpx.AsyncClient, engine: AsyncEngine, user: User
) -> None:
    ids = await three(client, user)
    other = await new_user(client)
    theirs = (await create_monitor(client, other, name="theirs", tests=[http_test()]))["id"]
    for action in ("pause", "delete"):
        refused = await client.post(
            BULK, json={"action": action, "ids": [*ids, theirs]}, headers=user.headers
        )
        assert_invalid(refused, ["body", "ids"])
    assert await enabled(engine, [*ids, theirs]) == [True] * 4  # all still there, running
    their_page = await create_page(client, other)
    refused = await client.post(
        BULK,
        json={"action": "add_to_status_page", "ids": ids, "status_page_id": their_page["id"]},
        headers=user.headers,
    )
    assert_invalid(refused, ["body", "status_page_id"])


async def test_a_viewer_may_not(client: httpx.AsyncClient, engine: AsyncEngine, user: User) -> None:
    ids = await three(client, user)
    viewer = await invite_member(client, user, "viewer")
    refused = await client.post(BULK, json={"action": "pause", "ids": ids}, headers=viewer.headers)
    assert refused.status_code == 403
    assert await enabled(engine, ids) == [True] * 3


@pytest.mark.parametrize(
    "body,loc",
    [
        ({"action": "explode", "ids": [1]}, ["body", "action"]),
        ({"ids": [1]}, ["body", "action"]),
        ({"action": "pause"}, ["body", "ids"]),
        ({"action": "pause", "ids": []}, ["body", "ids"]),
        ({"action": "pause", "ids": [1, 1]}, ["body", "ids"]),
        ({"action": "pause", "ids": [0]}, ["body", "ids", 0]),
        ({"action": "pause", "ids": ["1"]}, ["body", "ids", 0]),
        ({"action": "pause", "ids": [2**63]}, ["body", "ids", 0]),
        ({"action": "pause", "ids": list(range(1, 1002))}, ["body", "ids"]),
        ({"action": "pause", "ids": [1], "extra": 1}, ["body", "extra"]),
        ({"action": "pause", "ids": [1], "status_page_id": 1}, ["body", "status_page_id"]),
        ({"action": "add_to_status_page", "ids": [1]}, ["body", "status_page_id"]),
        (
            {"action": "add_to_status_page", "ids": [1], "status_page_id": "1"},
            ["body", "status_page_id"],
        ),
    ],
)
async def test_garbage_is_422_naming_the_field(
    client: httpx.AsyncClient, user: User, body: dict[str, Any], loc: list[Any]
) -> None:
    ids = await three(client, user)
    if body.get("ids") == [1]:
        body = {**body, "ids": ids[:1]}
    assert_invalid(await client.post(BULK, json=body, headers=user.headers), loc)
    listed = (await client.get("/api/v1/monitors", headers=user.headers)).json()["items"]
    assert len(listed) == 3 and all(t["enabled"] for m in listed for t in m["tests"])


async def test_a_group_not_on_the_page_is_refused(client: httpx.AsyncClient, user: User) -> None:
    ids = await three(client, user)
    page = await create_page(client, user, groups=["Web"])
    refused = await client.post(
        BULK,
        json={
            "action": "add_to_status_page",
            "ids": ids,
            "status_page_id": page["id"],
            "group": "Nope",
        },
        headers=user.headers,
    )
    assert_invalid(refused, ["body", "group"])
