"""The monitor list at scale: search, filters, sorts, keyset pages, counts, ETag and 304."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from api import cursors
from shared.messages import Status
from shared.tables import test_state
from tests.api.helpers import User, assert_invalid, create_monitor, http_test

pytestmark = pytest.mark.integration

MONITORS = "/api/v1/monitors"


async def set_state(engine: AsyncEngine, test_id: int, status: Status) -> None:
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(
            insert(test_state).values(
                test_id=test_id, status=int(status), since=now, checked_at=now, region="local"
            )
        )


async def seed(client: httpx.AsyncClient, engine: AsyncEngine, user: User) -> dict[str, Any]:
    """Five monitors: down, up, degraded, pending, and one up in two regions, by name."""
    made = {}
    for name, url, tags, status in [
        ("shop", "https://shop.example.com/", ["web", "eu"], Status.DOWN),
        ("blog", "https://blog.example.org/", ["web"], Status.UP),
        ("api", "https://api.example.com/v1", ["backend"], Status.DEGRADED),
        ("db", "tcp://db.example.net:5432", [], None),
    ]:
        kind = "tcp" if name == "db" else "http"
        made[name] = await create_monitor(
            client, user, name=name, tags=tags, tests=[http_test(kind=kind, url=url)]
        )
        if status is not None:
            await set_state(engine, made[name]["tests"][0]["id"], status)
    made["cdn"] = await create_monitor(
        client,
        user,
        name="cdn",
        tests=[http_test(url="https://cdn.example.com/", regions=["local", "eu-west"])],
    )
    await set_state(engine, made["cdn"]["tests"][0]["id"], Status.UP)
    return made


async def names(client: httpx.AsyncClient, user: User, **params: Any) -> list[str]:
    response = await client.get(MONITORS, params={"limit": 200, **params}, headers=user.headers)
    assert response.status_code == 200, response.text
    return [m["name"] for m in response.json()["items"]]


async def test_search_filters_and_sorts(
    client: httpx.AsyncClient, engine: AsyncEngine, user: User
) -> None:
    await seed(client, engine, user)
    assert await names(client, user, q="SHOP") == ["shop"]  # name, any case
    assert await names(client, user, q="example.org") == ["blog"]  # a test's URL
    assert await names(client, user, q="50%") == []  # % is a character, not a wildcard
    assert await names(client, user, tag="web") == ["shop", "blog"]
    assert await names(client, user, kind="tcp") == ["db"]
    assert await names(client, user, region="eu-west") == ["cdn"]
    assert await names(client, user, status="up") == ["blog", "cdn"]
    assert await names(client, user, sort="status") == ["shop", "db", "api", "blog", "cdn"]
    assert await names(client, user, sort="name") == ["api", "blog", "cdn", "db", "shop"]
    assert await names(client, user, sort="newest") == ["cdn", "db", "api", "blog", "shop"]
    assert await names(client, user, tag="web", sort="status", status="down") == ["shop"]


async def test_counts_follow_every_filter_but_status(
    client: httpx.AsyncClient, engine: AsyncEngine, user: User
) -> None:
    await seed(client, engine, user)
    every = (await client.get(MONITORS, headers=user.headers)).json()["counts"]
    assert every == {"down": 1, "pending": 1, "degraded": 1, "up": 2}
    web = (
        await client.get(MONITORS, params={"tag": "web", "status": "up"}, headers=user.headers)
    ).json()
    assert web["counts"] == {"down": 1, "pending": 0, "degraded": 0, "up": 1}
    assert [m["name"] for m in web["items"]] == ["blog"]


@pytest.mark.parametrize("sort", ["status", "name", "newest", "oldest"])
async def test_cursor_pages_cover_the_list_once(
    client: httpx.AsyncClient, engine: AsyncEngine, user: User, sort: str
) -> None:
    await seed(client, engine, user)
    whole = await names(client, user, sort=sort)
    seen, cursor = [], None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2, "sort": sort}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(MONITORS, params=params, headers=user.headers)).json()
        seen += [m["name"] for m in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == whole and len(seen) == 5


async def test_a_cursor_of_another_sort_is_refused(
    client: httpx.AsyncClient, engine: AsyncEngine, user: User
) -> None:
    await seed(client, engine, user)
    cursor = (
        await client.get(MONITORS, params={"limit": 1, "sort": "name"}, headers=user.headers)
    ).json()["next"]
    refused = await client.get(
        MONITORS, params={"cursor": cursor, "sort": "status"}, headers=user.headers
    )
    assert_invalid(refused, ["query", "cursor"])


async def test_tags_are_created_changed_and_listed(client: httpx.AsyncClient, user: User) -> None:
    made = await create_monitor(client, user, name="x", tags=[" web ", "eu"], tests=[http_test()])
    assert made["tags"] == ["web", "eu"]
    path = f"{MONITORS}/{made['id']}"
    changed = await client.patch(path, json={"tags": ["db"]}, headers=user.headers)
    assert (changed.status_code, changed.json()["tags"], changed.json()["name"]) == (
        200,
        ["db"],
        "x",
    )
    assert await names(client, user, tag="db") == ["x"]
    assert await names(client, user, tag="web") == []
    assert_invalid(await client.patch(path, json={}, headers=user.headers), ["body"])


@pytest.mark.parametrize(
    "tags,loc",
    [
        (["a,b"], ["body", "tags", 0]),
        (["x" * 51], ["body", "tags", 0]),
        ([""], ["body", "tags", 0]),
        (["a\u0000"], ["body", "tags", 0]),
        (["a", "a"], ["body", "tags"]),
        ([f"t{i}" for i in range(21)], ["body", "tags"]),
        ("web", ["body", "tags"]),
        ([1], ["body", "tags", 0]),
    ],
)
async def test_bad_tags_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, user: User, tags: Any, loc: list[Any]
) -> None:
    refused = await client.post(
        MONITORS, json={"name": "x", "tags": tags, "tests": [http_test()]}, headers=user.headers
    )
    assert_invalid(refused, loc)
    assert await names(client, user) == []


@pytest.mark.parametrize(
    "params,field",
    [
        ({"status": "broken"}, "status"),
        ({"kind": "gopher"}, "kind"),
        ({"sort": "random"}, "sort"),
        ({"region": "EU WEST"}, "region"),
        ({"tag": "x" * 51}, "tag"),
        ({"tag": "a\u0001"}, "tag"),
        ({"q": "x" * 201}, "q"),
        ({"q": "a\u0000b"}, "q"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"cursor": "!!"}, "cursor"),
        ({"cursor": cursors.pack(["status", 9, "a", 1]), "sort": "status"}, "cursor"),
        ({"cursor": cursors.pack(["status", 0, "a", -1]), "sort": "status"}, "cursor"),
        ({"cursor": cursors.pack(["name", 5, 1]), "sort": "name"}, "cursor"),
        ({"cursor": cursors.pack(["name", "a\u0000", 1]), "sort": "name"}, "cursor"),
        ({"cursor": cursors.pack(["oldest", 1.5])}, "cursor"),
    ],
)
async def test_garbage_parameters_are_422_naming_them(
    client: httpx.AsyncClient, user: User, params: dict[str, Any], field: str
) -> None:
    assert_invalid(
        await client.get(MONITORS, params=params, headers=user.headers), ["query", field]
    )


async def test_etag_304_until_something_changes(
    client: httpx.AsyncClient, engine: AsyncEngine, user: User
) -> None:
    made = await seed(client, engine, user)
    first = await client.get(MONITORS, params={"sort": "status"}, headers=user.headers)
    etag = first.headers["etag"]
    again = {**user.headers, "If-None-Match": etag}
    unchanged = await client.get(MONITORS, params={"sort": "status"}, headers=again)
    assert (unchanged.status_code, unchanged.content, unchanged.headers["etag"]) == (304, b"", etag)
    # Another question is another answer, even over the same monitors.
    other = await client.get(MONITORS, params={"sort": "name"}, headers=again)
    assert other.status_code == 200
    # A check's new state, a rename, a new monitor, a deleted one: each a new ETag.
    changes = [
        lambda: set_state(engine, made["db"]["tests"][0]["id"], Status.UP),
        lambda: client.patch(
            f"{MONITORS}/{made['api']['id']}", json={"name": "api2"}, headers=user.headers
        ),
        lambda: create_monitor(client, user, name="new", tests=[http_test()]),
        lambda: client.delete(f"{MONITORS}/{made['blog']['id']}", headers=user.headers),
    ]
    for change in changes:
        await change()
        changed = await client.get(
            MONITORS, params={"sort": "status"}, headers={**user.headers, "If-None-Match": etag}
        )
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        etag = changed.headers["etag"]


async def test_the_etag_is_the_accounts_own(client: httpx.AsyncClient, user: User) -> None:
    from tests.api.helpers import new_user

    other = await new_user(client)
    etag = (await client.get(MONITORS, headers=user.headers)).headers["etag"]
    theirs = await client.get(MONITORS, headers={**other.headers, "If-None-Match": etag})
    assert theirs.status_code == 200  # two empty accounts, still two answers
