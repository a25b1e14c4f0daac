"""POST /monitors/validate and /notification-channels/validate: a create's checks, nothing
stored (what `vigil apply` asks before it changes anything)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.helpers import User, assert_invalid, http_test, monitor_body, stored_counts

pytestmark = pytest.mark.integration  # the real PostgreSQL

MONITORS = "/api/v1/monitors/validate"
CHANNELS = "/api/v1/notification-channels/validate"


async def _channels(client: httpx.AsyncClient, user: User) -> list:
    answer = await client.get("/api/v1/notification-channels", headers=user.headers)
    return answer.json()["items"]


async def test_a_good_monitor_is_answered_204_and_not_stored(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    answer = await client.post(MONITORS, json=monitor_body(), headers=user.headers)
    assert answer.status_code == 204, answer.text
    assert await stored_counts(engine, user.id) == (0, 0)


@pytest.mark.parametrize(
    ("test", "loc"),
    [
        (http_test(interval_s=10), ["body", "tests", 0, "interval_s"]),  # the cell's 30 s floor
        (http_test(url="http://127.0.0.1:8080/"), ["body", "tests", 0, "url"]),  # private
        (http_test(expected_status=[99]), ["body", "tests", 0, "expected_status"]),
        ({"kind": "http"}, ["body", "tests", 0, "url"]),
    ],
)
async def test_a_monitor_the_create_would_refuse_names_the_field(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine, test: dict, loc: list
) -> None:
    answer = await client.post(MONITORS, json={"name": "m", "tests": [test]}, headers=user.headers)
    assert_invalid(answer, loc)
    assert await stored_counts(engine, user.id) == (0, 0)


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (
            {
                "name": "w",
                "kind": "webhook",
                "config": {"url": "https://h.example/x", "secret": "short"},
            },
            ["body", "config", "secret"],
        ),
        (
            {"name": "t", "kind": "telegram", "config": {"token": "nope", "chat_id": "1"}},
            ["body", "config", "token"],
        ),
        ({"name": "x", "kind": "pigeon", "config": {}}, ["body", "kind"]),
        ("not an object", ["body"]),
    ],
)
async def test_a_channel_the_create_would_refuse_names_the_field(
    client: httpx.AsyncClient, user: User, body: object, loc: list
) -> None:
    answer = await client.post(CHANNELS, json=body, headers=user.headers)
    assert_invalid(answer, loc)
    assert await _channels(client, user) == []


async def test_a_good_channel_is_answered_204_and_not_stored(
    client: httpx.AsyncClient, user: User
) -> None:
    body = {
        "name": "w",
        "kind": "webhook",
        "config": {"url": "https://h.example/x", "secret": "sixteen-chars-at-least"},
    }
    answer = await client.post(CHANNELS, json=body, headers=user.headers)
    assert answer.status_code == 204, answer.text
    assert await _channels(client, user) == []


async def test_validation_needs_a_caller(client: httpx.AsyncClient) -> None:
    answer = await client.post(MONITORS, json=monitor_body())
    assert answer.status_code == 401
