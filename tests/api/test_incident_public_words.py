"""A detected incident given a public title and message: shown on the status pages."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.helpers import client_for, create_monitor, new_user
from tests.api.history import seed

pytestmark = pytest.mark.integration


@pytest.fixture
async def api(database_url: str):
    # A short TTL keeps the page's history cache on: the watermark must see the new words.
    async with client_for(database_url, VIGIL_PUBLIC_CACHE_TTL="0.05") as client:
        yield client


async def _public_incident(client: httpx.AsyncClient, slug: str, incident_id: int) -> dict:
    """The incident as the page shows it once the cache's TTL has passed twice (a warm
    entry is refreshed in the background: the first ask after expiry may get the old one)."""
    for _ in range(2):
        await asyncio.sleep(0.1)
        page = (await client.get(f"/api/v1/public/status-pages/{slug}")).json()
    [found] = [i for i in page["incidents"] if i["id"] == incident_id]
    return found


async def test_the_team_names_an_incident_for_its_pages(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    user, stranger = await new_user(api), await new_user(api)
    monitor = await create_monitor(api, user)
    history = await seed(engine, monitor["tests"][0]["id"], monitor["id"], "words")
    slug = f"w-{uuid.uuid4().hex[:10]}"
    page = (
        await api.post(
            "/api/v1/status-pages", headers=user.headers, json={"slug": slug, "title": "Shop"}
        )
    ).json()
    await api.post(
        f"/api/v1/status-pages/{page['id']}/monitors",
        headers=user.headers,
        json={"monitor_id": monitor["id"]},
    )
    before = await _public_incident(api, slug, history.open_id)
    assert (before["title"], before["message"]) == (None, None)
    path = f"/api/v1/incidents/{history.open_id}"
    named = await api.patch(
        path,
        headers=user.headers,
        json={"public_title": "Payments delayed", "public_message": "Our bank is slow."},
    )
    assert named.status_code == 200, named.text
    assert named.json()["public_title"] == "Payments delayed"
    after = await _public_incident(api, slug, history.open_id)
    assert (after["title"], after["message"]) == ("Payments delayed", "Our bank is slow.")
    cleared = await api.patch(path, headers=user.headers, json={"public_message": None})
    assert cleared.json()["public_title"] == "Payments delayed"
    assert (await _public_incident(api, slug, history.open_id))["message"] is None
    assert (
        await api.patch(path, headers=stranger.headers, json={"public_title": "x"})
    ).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"public_title": ""}, "public_title"),
        ({"public_title": "a\r\nb"}, "public_title"),
        ({"public_title": "x" * 201}, "public_title"),
        ({"public_title": 7}, "public_title"),
        ({"state": "resolved"}, "state"),
    ],
)
async def test_garbage_words_are_refused_naming_the_field(
    api: httpx.AsyncClient, engine: AsyncEngine, body: dict, field: str
) -> None:
    user = await new_user(api)
    monitor = await create_monitor(api, user)
    history = await seed(engine, monitor["tests"][0]["id"], monitor["id"], "junk")
    answer = await api.patch(
        f"/api/v1/incidents/{history.open_id}", headers=user.headers, json=body
    )
    assert answer.status_code == 422, answer.text
    assert any(field in map(str, e["loc"]) for e in answer.json()["detail"]), answer.text
    path = f"/api/v1/incidents/{history.open_id}"
    detail = (await api.get(path, headers=user.headers)).json()
    assert (detail["public_title"], detail["public_message"]) == (None, None)
    assert detail["resolved_at"] is None  # a PATCH cannot move the processor's lifecycle
