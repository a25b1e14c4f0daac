"""Announcements: a banner on the public page between its start and end, the owner's alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.tables import status_announcements
from tests.api.helpers import User, client_for, new_user

pytestmark = pytest.mark.integration
PAGES = "/api/v1/status-pages"
NOW = datetime.now(UTC)


def _span(start: timedelta, length: timedelta) -> dict[str, str]:
    return {"starts_at": (NOW + start).isoformat(), "ends_at": (NOW + start + length).isoformat()}


@pytest.fixture
async def api(database_url: str):
    async with client_for(database_url, VIGIL_PUBLIC_CACHE_TTL="0") as client:
        yield client


async def _page(client: httpx.AsyncClient, user: User) -> tuple[int, str]:
    slug = f"a-{uuid.uuid4().hex[:10]}"
    made = await client.post(PAGES, headers=user.headers, json={"slug": slug, "title": "Shop"})
    assert made.status_code == 201, made.text
    return made.json()["id"], slug


async def test_only_live_announcements_are_on_the_public_page(api: httpx.AsyncClient) -> None:
    user = await new_user(api)
    page_id, slug = await _page(api, user)
    url = f"{PAGES}/{page_id}/announcements"
    live = await api.post(
        url,
        headers=user.headers,
        json={
            "message": "Payments are slow\nat our bank",
            **_span(-timedelta(hours=1), timedelta(hours=2)),
        },
    )
    assert live.status_code == 201, live.text
    for start in (-timedelta(days=2), timedelta(hours=3)):  # ended, and not yet begun
        assert (
            await api.post(
                url,
                headers=user.headers,
                json={"message": "other", **_span(start, timedelta(hours=1))},
            )
        ).status_code == 201
    public = (await api.get(f"/api/v1/public/status-pages/{slug}")).json()
    assert [a["message"] for a in public["announcements"]] == ["Payments are slow\nat our bank"]
    assert len((await api.get(url, headers=user.headers)).json()["items"]) == 3
    gone = f"{url}/{live.json()['id']}"
    assert (await api.delete(gone, headers=user.headers)).status_code == 204
    assert (await api.get(f"/api/v1/public/status-pages/{slug}")).json()["announcements"] == []


async def test_another_account_cannot_touch_them(api: httpx.AsyncClient) -> None:
    owner, stranger = await new_user(api), await new_user(api)
    page_id, _ = await _page(api, owner)
    url = f"{PAGES}/{page_id}/announcements"
    made = await api.post(
        url,
        headers=owner.headers,
        json={"message": "hi", **_span(timedelta(0), timedelta(hours=1))},
    )
    assert (await api.get(url, headers=stranger.headers)).status_code == 404
    assert (
        await api.post(
            url,
            headers=stranger.headers,
            json={"message": "x", **_span(timedelta(0), timedelta(hours=1))},
        )
    ).status_code == 404
    assert (
        await api.delete(f"{url}/{made.json()['id']}", headers=stranger.headers)
    ).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message": "", **_span(timedelta(0), timedelta(hours=1))}, "message"),
        ({"message": "x" * 1001, **_span(timedelta(0), timedelta(hours=1))}, "message"),
        ({"message": "bell\x07", **_span(timedelta(0), timedelta(hours=1))}, "message"),
        ({"message": "x", **_span(timedelta(0), -timedelta(hours=1))}, "body"),
        (
            {"message": "x", "starts_at": "2026-01-01T00:00:00", "ends_at": "2026-01-02T00:00:00Z"},
            "starts_at",
        ),
        ({"message": "x", "starts_at": NOW.isoformat()}, "ends_at"),
    ],
)
async def test_garbage_is_refused_naming_the_field_and_stores_nothing(
    api: httpx.AsyncClient, engine: AsyncEngine, body: dict, field: str
) -> None:
    user = await new_user(api)
    page_id, _ = await _page(api, user)
    answer = await api.post(f"{PAGES}/{page_id}/announcements", headers=user.headers, json=body)
    assert answer.status_code == 422, answer.text
    assert any(field in map(str, e["loc"]) for e in answer.json()["detail"]), answer.text
    async with engine.connect() as conn:
        assert (
            await conn.execute(
                select(func.count())
                .select_from(status_announcements)
                .where(status_announcements.c.page_id == page_id)
            )
        ).scalar_one() == 0
