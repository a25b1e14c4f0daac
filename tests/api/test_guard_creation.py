"""The creation-time guard: the API refuses every IP literal of the guard's table (the same
function the executor applies at check time), accepts global ones, and stores nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.helpers import User, assert_invalid, client_for, http_test, new_user, stored_counts
from tests.guard_table import ALLOWED, FORBIDDEN, url_of

pytestmark = pytest.mark.integration

MONITORS = "/api/v1/monitors"


@pytest.fixture(scope="module")
async def refused(client: httpx.AsyncClient) -> User:
    return await new_user(client)


@pytest.mark.parametrize("address", list(FORBIDDEN))
async def test_forbidden_literals_are_422_naming_the_url(
    client: httpx.AsyncClient, refused: User, engine: AsyncEngine, address: str
) -> None:
    body = {"name": "site", "tests": [http_test(url=url_of(address, port=8080))]}
    response = await client.post(MONITORS, json=body, headers=refused.headers)
    assert_invalid(response, ["body", "tests", 0, "url"])
    assert await stored_counts(engine, refused.id) == (0, 0), FORBIDDEN[address]


async def test_global_literals_and_names_are_accepted(client: httpx.AsyncClient) -> None:
    user = await new_user(client)
    # A name is judged when the executor resolves it, at check time (the API resolves nothing).
    for url in [*(url_of(a) for a in ALLOWED), "http://h-127-0-0-1.guard.test/"]:
        body = {"name": "site", "tests": [http_test(url=url)]}
        response = await client.post(MONITORS, json=body, headers=user.headers)
        assert response.status_code == 201, (url, response.text)


async def test_forbidden_literals_are_accepted_when_private_targets_are(database_url: str) -> None:
    async with client_for(database_url, VIGIL_ALLOW_PRIVATE_TARGETS="true") as api:
        user = await new_user(api)
        for address in ("100.100.100.200", "2002:7f00:1::1", "64:ff9b::7f00:1"):
            body = {"name": "site", "tests": [http_test(url=url_of(address))]}
            response = await api.post(MONITORS, json=body, headers=user.headers)
            assert response.status_code == 201, (address, response.text)
