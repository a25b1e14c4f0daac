"""The public status page: no token, current state per group, cached, cleared on change."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from api.public_cache import STALE_S, TtlCache
from shared.messages import Status
from shared.tables import test_state
from tests.api.helpers import User, client_for, create_monitor, http_test, new_user
from tests.helpers import eventually

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

PUBLIC = "/api/v1/public/status-pages"


async def set_state(engine: AsyncEngine, test_id: int, status: Status) -> None:
    now = datetime.now(UTC)
    row = {
        "test_id": test_id,
        "status": int(status),
        "since": now,
        "checked_at": now,
        "latency_ms": 12.0,
        "region": "local",
    }
    async with engine.begin() as conn:
        await conn.execute(
            insert(test_state)
            .values(**row)
            .on_conflict_do_update(index_elements=[test_state.c.test_id], set_=row)
        )


async def make_page(api: httpx.AsyncClient, user: User, engine: AsyncEngine) -> dict:
    """A page with groups Web and API: shop (up) and blog (down) in Web, api (pending)."""
    slug = f"acme-{uuid.uuid4().hex[:8]}"
    page = (
        await api.post(
            "/api/v1/status-pages",
            json={"slug": slug, "title": "Acme", "groups": ["Web", "API"]},
            headers=user.headers,
        )
    ).json()
    made = {}
    for name, group, status in [
        ("shop", "Web", Status.UP),
        ("blog", "Web", Status.DOWN),
        ("api", "API", None),
    ]:
        monitor = await create_monitor(api, user, name=name, tests=[http_test()])
        made[name] = monitor
        if status is not None:
            await set_state(engine, monitor["tests"][0]["id"], status)
        await api.post(
            f"/api/v1/status-pages/{page['id']}/monitors",
            json={"monitor_id": monitor["id"], "group": group},
            headers=user.headers,
        )
    return {"page": page, "monitors": made}


def statuses(body: dict) -> dict[str, list[tuple[str, str]]]:
    return {g["name"]: [(m["name"], m["status"]) for m in g["monitors"]] for g in body["groups"]}


async def test_a_page_shows_each_group_and_monitor_without_a_token(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine, database_url: str
) -> None:
    async with client_for(database_url, VIGIL_PUBLIC_CACHE_TTL="0") as api:
        made = await make_page(api, user, engine)
        response = await api.get(f"{PUBLIC}/{made['page']['slug']}")
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["status"], body["language"]) == ("Acme", "down", "en")
    assert statuses(body) == {
        "Web": [("blog", "down"), ("shop", "up")],
        "API": [("api", "pending")],
    }
    # No history yet: a bar of 90 empty days per monitor, no incident.
    assert [bars["status"] for bars in body["bars"]] == [["none"] * 90] * 3
    assert body["incidents"] == []


async def test_maintenance_shows(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine, database_url: str
) -> None:
    async with client_for(database_url, VIGIL_PUBLIC_CACHE_TTL="0") as api:
        made = await make_page(api, user, engine)
        now = datetime.now(UTC)
        await api.post(
            "/api/v1/maintenance-windows",
            headers=user.headers,
            json={
                "title": "db upgrade",
                "monitor_id": made["monitors"]["blog"]["id"],
                "starts_at": (now - timedelta(minutes=5)).isoformat(),
                "ends_at": (now + timedelta(hours=1)).isoformat(),
            },
        )
        body = (await api.get(f"{PUBLIC}/{made['page']['slug']}")).json()
    assert statuses(body)["Web"] == [("blog", "maintenance"), ("shop", "up")]
    assert body["status"] == "maintenance"
    assert [w["title"] for w in body["maintenance"]] == ["db upgrade"]


async def test_the_cache_holds_until_a_change(database_url: str, engine: AsyncEngine) -> None:
    async with client_for(database_url, VIGIL_PUBLIC_CACHE_TTL="600") as api:
        user = await new_user(api)
        made = await make_page(api, user, engine)
        path = f"{PUBLIC}/{made['page']['slug']}"
        first = await api.get(path)
        assert first.headers["Cache-Control"] == "public, max-age=600"
        await set_state(engine, made["monitors"]["blog"]["tests"][0]["id"], Status.UP)
        assert (await api.get(path)).content == first.content  # served from the cache
        await api.patch(
            f"/api/v1/status-pages/{made['page']['id']}",
            json={"title": "Acme Inc"},
            headers=user.headers,
        )
        # An edit of the page itself drops its cached answer, so the next reader has the new
        # one: a page just made private must not be served public once more.
        fresh = (await api.get(path)).json()
        assert fresh["title"] == "Acme Inc"
    assert statuses(fresh)["Web"] == [("blog", "up"), ("shop", "up")]


async def test_unknown_and_malformed_slugs(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{PUBLIC}/no-such-page-here")).status_code == 404
    for slug in ("UPPER", "a" * 64, "%00abc", "-x-"):
        assert (await client.get(f"{PUBLIC}/{slug}")).status_code in (404, 422)


async def test_a_miss_is_computed_once_for_all_waiters() -> None:
    cache: TtlCache[int] = TtlCache(60)
    calls = 0

    async def compute() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return calls

    assert await asyncio.gather(*(cache.get("k", compute) for _ in range(50))) == [1] * 50
    assert calls == 1


async def test_a_value_computed_across_a_clear_is_not_kept() -> None:
    cache: TtlCache[str] = TtlCache(60)
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow() -> str:
        started.set()
        await release.wait()
        return "old"

    task = asyncio.create_task(cache.get("k", slow))
    await started.wait()
    cache.clear()
    release.set()
    assert await task == "old"

    async def fresh() -> str:
        return "new"

    assert await cache.get("k", fresh) == "new"


async def _holds(cache: TtlCache, value: object) -> bool:
    return cache.peek("k") == value


async def test_entries_expire() -> None:
    now = [0.0]
    cache: TtlCache[float] = TtlCache(5, clock=lambda: now[0])

    async def value() -> float:
        return now[0]

    assert await cache.get("k", value) == 0.0
    now[0] = 4.9
    assert await cache.get("k", value) == 0.0
    now[0] = 5.1  # expired: answered stale at once, refreshed in the background
    assert await cache.get("k", value) == 0.0
    await eventually(lambda: _holds(cache, 5.1), "the background refresh")
    now[0] = 5.1 + 5 + STALE_S  # too stale to answer: computed while the caller waits
    assert await cache.get("k", value) == now[0]


@pytest.mark.parametrize("staled_by", ["time", "a change"])
async def test_a_stale_value_is_refreshed_once_for_all_callers(staled_by: str) -> None:
    """Past its TTL or cleared by a write: readers get the old value at once (nobody
    waits) while one refresh runs."""
    now = [0.0]
    cache: TtlCache[int] = TtlCache(5, clock=lambda: now[0])
    calls = 0
    release = asyncio.Event()

    async def compute() -> int:
        nonlocal calls
        calls += 1
        if calls > 1:
            await release.wait()
        return calls

    assert await cache.get("k", compute) == 1
    if staled_by == "time":
        now[0] = 6
    else:
        cache.clear()
    answers = asyncio.gather(*(cache.get("k", compute) for _ in range(20)))
    assert await asyncio.wait_for(answers, 5) == [1] * 20
    release.set()
    await eventually(lambda: _holds(cache, 2), "the one refresh")
    assert calls == 2


async def test_a_log_in_does_not_clear_the_cache(database_url: str, engine: AsyncEngine) -> None:
    async with client_for(database_url, VIGIL_PUBLIC_CACHE_TTL="600") as api:
        user = await new_user(api)
        made = await make_page(api, user, engine)
        path = f"{PUBLIC}/{made['page']['slug']}"
        first = await api.get(path)
        await set_state(engine, made["monitors"]["blog"]["tests"][0]["id"], Status.UP)
        await new_user(api)  # a sign-up and a log-in
        assert (await api.get(path)).content == first.content
