"""One account can neither see nor change another's monitors, tests or results."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.helpers import User, create_monitor, http_test, new_user, stored_counts

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)


async def test_another_account_sees_none_of_it(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    owner = user
    intruder = await new_user(client)
    monitor = await create_monitor(client, owner)
    test_id = monitor["tests"][0]["id"]
    mine = await create_monitor(client, intruder)
    not_found = {"detail": "monitor not found"}

    async def as_intruder(method: str, path: str, **kwargs: object) -> httpx.Response:
        return await client.request(method, path, headers=intruder.headers, **kwargs)

    response = await as_intruder("GET", f"/api/v1/monitors/{monitor['id']}")
    assert (response.status_code, response.json()) == (404, not_found)
    response = await as_intruder("GET", f"/api/v1/monitors/{monitor['id']}/tests")
    assert (response.status_code, response.json()) == (404, not_found)
    response = await as_intruder(
        "POST", f"/api/v1/monitors/{monitor['id']}/tests", json=http_test()
    )
    assert (response.status_code, response.json()) == (404, not_found)
    response = await as_intruder("GET", f"/api/v1/tests/{test_id}/results")
    assert (response.status_code, response.json()) == (404, {"detail": "test not found"})
    listed = (await as_intruder("GET", "/api/v1/monitors", params={"limit": 200})).json()
    assert (listed["items"], listed["next"]) == ([mine], None)
    assert sum(listed["counts"].values()) == 1  # the counts too are the caller's own
    # Nothing changed on either side, and the owner still sees their monitor as it was.
    assert await stored_counts(engine, owner.id) == (1, 1)
    assert await stored_counts(engine, intruder.id) == (1, 1)
    response = await client.get(f"/api/v1/monitors/{monitor['id']}", headers=owner.headers)
    assert response.json() == monitor


async def test_a_cursor_from_another_account_shows_only_your_own(
    client: httpx.AsyncClient, user: User
) -> None:
    intruder = await new_user(client)
    await create_monitor(client, user)
    await create_monitor(client, user)
    cursor = (
        await client.get("/api/v1/monitors", params={"limit": 1}, headers=user.headers)
    ).json()["next"]
    page = await client.get("/api/v1/monitors", params={"cursor": cursor}, headers=intruder.headers)
    assert page.json() == {
        "items": [],
        "next": None,
        "counts": {"down": 0, "pending": 0, "degraded": 0, "up": 0},
    }
