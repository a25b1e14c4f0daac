"""Status-page groups that select monitors by tag."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.helpers import User, assert_invalid, create_monitor, http_test
from tests.api.test_status_pages import PAGES, create_page

pytestmark = pytest.mark.integration


async def test_a_group_shows_the_monitors_with_its_tag(
    client: httpx.AsyncClient, user: User
) -> None:
    for name, tags in (("shop", ["web"]), ("blog", ["web", "eu"]), ("db", ["backend"])):
        await create_monitor(client, user, name=name, tags=tags, tests=[http_test()])
    placed = await create_monitor(client, user, name="api", tags=["web"], tests=[http_test()])
    page = await create_page(client, user, groups=["Web", "Other"], group_tags={"Web": "web"})
    assert page["group_tags"] == {"Web": "web"}
    # Placed by hand in another group, it stays there rather than showing twice.
    await client.post(
        f"{PAGES}/{page['id']}/monitors",
        json={"monitor_id": placed["id"], "group": "Other"},
        headers=user.headers,
    )
    public = (await client.get(f"/api/v1/public/status-pages/{page['slug']}")).json()
    groups = {g["name"]: [m["name"] for m in g["monitors"]] for g in public["groups"]}
    assert groups == {"Web": ["blog", "shop"], "Other": ["api"]}


async def test_a_group_that_goes_takes_its_tag(client: httpx.AsyncClient, user: User) -> None:
    page = await create_page(
        client, user, groups=["Web", "API"], group_tags={"Web": "web", "API": "api"}
    )
    changed = await client.patch(
        f"{PAGES}/{page['id']}", json={"groups": ["API"]}, headers=user.headers
    )
    assert changed.json()["group_tags"] == {"API": "api"}


@pytest.mark.parametrize(
    "group_tags,loc",
    [
        ({"Nope": "web"}, ["body", "group_tags"]),
        ({"Web": "a,b"}, ["body", "group_tags", "Web"]),
        ({"Web": ""}, ["body", "group_tags", "Web"]),
        ({"Web": 5}, ["body", "group_tags", "Web"]),
        (["web"], ["body", "group_tags"]),
    ],
)
async def test_bad_group_tags_are_422(
    client: httpx.AsyncClient, user: User, group_tags: Any, loc: list[Any]
) -> None:
    body = {"slug": "tagged-page-x", "title": "x", "groups": ["Web"], "group_tags": group_tags}
    assert_invalid(await client.post(PAGES, json=body, headers=user.headers), loc)
    listed = (await client.get(PAGES, headers=user.headers)).json()["items"]
    assert listed == []
    page = await create_page(client, user, groups=["Web"])
    assert_invalid(
        await client.patch(
            f"{PAGES}/{page['id']}", json={"group_tags": group_tags}, headers=user.headers
        ),
        loc,
    )
