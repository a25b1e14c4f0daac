"""A test may run in several regions: `regions` (the primary first) beside `region`, which
older clients send and read as before."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.tables import tests
from tests.api.helpers import User, assert_invalid, create_monitor, http_test, send_json

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

MONITORS = "/api/v1/monitors"


async def _stored(engine: AsyncEngine, test_id: int) -> tuple[str, list[str]]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(tests.c.region, tests.c.regions).where(tests.c.id == test_id))
        ).one()
    return row.region, list(row.regions)


async def _add(
    client: httpx.AsyncClient, user: User, monitor_id: int, **fields: Any
) -> httpx.Response:
    return await send_json(
        client, "POST", f"{MONITORS}/{monitor_id}/tests", http_test(**fields), user.headers
    )


async def test_regions_region_or_neither_are_accepted_and_both_are_answered(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    monitor = await create_monitor(client, user)
    for fields, expected in [
        ({"regions": ["eu", "us"]}, ("eu", ["eu", "us"])),
        ({"region": "ap"}, ("ap", ["ap"])),
        ({"region": "eu", "regions": ["eu", "ap", "us"]}, ("eu", ["eu", "ap", "us"])),
        ({}, ("local", ["local"])),
    ]:
        response = await _add(client, user, monitor["id"], **fields)
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["region"], body["regions"]) == expected
        assert await _stored(engine, body["id"]) == expected


@pytest.mark.parametrize(
    "fields",
    [
        {"regions": []},
        {"regions": [f"r{i}" for i in range(11)]},
        {"regions": ["eu", "eu"]},
        {"regions": ["EU"]},
        {"regions": ["eu west"]},
        {"regions": "eu"},
        {"regions": [1]},
        {"regions": [None]},
        {"regions": {"eu": True}},
        {"region": "us", "regions": ["eu", "us"]},  # both given, and they disagree
    ],
)
async def test_garbage_regions_are_422_naming_the_field(
    client: httpx.AsyncClient, user: User, fields: dict[str, Any]
) -> None:
    monitor = await create_monitor(client, user)
    response = await _add(client, user, monitor["id"], **fields)
    assert response.status_code == 422, response.text
    assert any(error["loc"][:2] == ["body", "regions"] for error in response.json()["detail"])


async def test_patching_region_alone_makes_it_the_only_one_and_regions_replaces(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    monitor = await create_monitor(client, user)
    created = (await _add(client, user, monitor["id"], regions=["eu", "us"])).json()
    path = f"{MONITORS}/{monitor['id']}/tests/{created['id']}"
    for patch, expected in [
        ({"interval_s": 120}, ("eu", ["eu", "us"])),  # regions untouched
        ({"regions": ["us", "ap"]}, ("us", ["us", "ap"])),
        ({"region": "eu"}, ("eu", ["eu"])),  # what a one-region client means
        ({"region": "ap", "regions": ["ap", "eu"]}, ("ap", ["ap", "eu"])),
        ({"region": None, "regions": None}, ("ap", ["ap", "eu"])),  # null: no change
    ]:
        response = await send_json(client, "PATCH", path, patch, user.headers)
        assert response.status_code == 200, response.text
        assert (response.json()["region"], response.json()["regions"]) == expected
        assert await _stored(engine, created["id"]) == expected
    assert_invalid(
        await send_json(client, "PATCH", path, {"regions": ["x", "x"]}, user.headers),
        ["body", "regions"],
    )
    assert_invalid(
        await send_json(client, "PATCH", path, {"region": "eu", "regions": ["us"]}, user.headers),
        ["body", "regions"],
    )


async def test_writers_that_know_only_region_still_work(engine: AsyncEngine, client, user) -> None:
    """The database keeps `region` the first of `regions` whoever writes (migration 0007)."""
    monitor = await create_monitor(client, user)
    test_id = monitor["tests"][0]["id"]
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE tests SET region = 'zz' WHERE id = :id"), {"id": test_id})
    assert await _stored(engine, test_id) == ("zz", ["zz"])
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE tests SET regions = ARRAY['a1', 'b2'] WHERE id = :id"), {"id": test_id}
        )
    assert await _stored(engine, test_id) == ("a1", ["a1", "b2"])
