"""Status pages and the monitors on them."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import User, assert_invalid, create_monitor, send_json

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

PAGES = "/api/v1/status-pages"


def slug() -> str:
    import uuid

    return f"page-{uuid.uuid4().hex[:12]}"


async def create_page(client: httpx.AsyncClient, user: User, **fields: object) -> dict:
    body = {"slug": slug(), "title": "Acme status", **fields}
    response = await client.post(PAGES, json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_read_change_delete(client: httpx.AsyncClient, user: User) -> None:
    page = await create_page(
        client, user, logo_url="https://acme.example/logo.png", language="nl", groups=["Web", "API"]
    )
    assert (page["language"], page["groups"]) == ("nl", ["Web", "API"])
    path = f"{PAGES}/{page['id']}"
    assert (await client.get(path, headers=user.headers)).json() == page
    changed = (
        await client.patch(path, json={"title": "Acme", "logo_url": None}, headers=user.headers)
    ).json()
    assert (changed["title"], changed["logo_url"], changed["slug"]) == ("Acme", None, page["slug"])
    listed = (await client.get(PAGES, params={"q": page["slug"]}, headers=user.headers)).json()
    assert [p["id"] for p in listed["items"]] == [page["id"]]
    assert (await client.delete(path, headers=user.headers)).status_code == 204
    assert (await client.get(path, headers=user.headers)).status_code == 404


async def test_a_slug_is_taken_once(client: httpx.AsyncClient, user: User) -> None:
    page = await create_page(client, user)
    again = await client.post(
        PAGES, json={"slug": page["slug"], "title": "x"}, headers=user.headers
    )
    assert again.status_code == 409
    other = await create_page(client, user)
    clash = await client.patch(
        f"{PAGES}/{other['id']}", json={"slug": page["slug"]}, headers=user.headers
    )
    assert clash.status_code == 409


async def test_monitors_on_a_page(client: httpx.AsyncClient, user: User) -> None:
    page = await create_page(client, user, groups=["Web"])
    monitor = await create_monitor(client, user)
    path = f"{PAGES}/{page['id']}/monitors"
    added = await client.post(
        path, json={"monitor_id": monitor["id"], "group": "Web"}, headers=user.headers
    )
    assert added.status_code == 201, added.text
    assert added.json() == {
        "monitor_id": monitor["id"],
        "name": "site",
        "group": "Web",
        "position": 0,
        "sla_target": None,
    }
    again = await client.post(path, json={"monitor_id": monitor["id"]}, headers=user.headers)
    assert again.status_code == 409
    bad_group = await client.post(
        path, json={"monitor_id": monitor["id"], "group": "Nope"}, headers=user.headers
    )
    assert_invalid(bad_group, ["body", "group"])
    moved = await client.patch(
        f"{path}/{monitor['id']}", json={"position": 3}, headers=user.headers
    )
    assert moved.json()["position"] == 3
    # Dropping a group leaves its monitors on the page, ungrouped.
    await client.patch(f"{PAGES}/{page['id']}", json={"groups": []}, headers=user.headers)
    listed = (await client.get(path, headers=user.headers)).json()
    assert listed == {
        "items": [
            {
                "monitor_id": monitor["id"],
                "name": "site",
                "group": None,
                "position": 3,
                "sla_target": None,
            }
        ],
        "next": None,
    }
    assert (await client.delete(f"{path}/{monitor['id']}", headers=user.headers)).status_code == 204
    assert (await client.get(path, headers=user.headers)).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"slug": "A", "title": "t"}, ["body", "slug"]),
        ({"slug": "-abc", "title": "t"}, ["body", "slug"]),
        ({"slug": "ab", "title": "t"}, ["body", "slug"]),
        ({"slug": "a" * 64, "title": "t"}, ["body", "slug"]),
        ({"slug": "abc"}, ["body", "title"]),
        ({"slug": "abc", "title": "t", "logo_url": "http://x.example/l.png"}, ["body", "logo_url"]),
        ({"slug": "abc", "title": "t", "language": "english"}, ["body", "language"]),
        ({"slug": "abc", "title": "t", "groups": ["a", "a"]}, ["body", "groups"]),
        ({"slug": "abc", "title": "t", "groups": ["g"] * 21}, ["body", "groups"]),
        ({"slug": "abc", "title": "t", "groups": [""]}, ["body", "groups", 0]),
    ],
)
async def test_bad_pages_are_422(
    client: httpx.AsyncClient, user: User, body: dict, loc: list
) -> None:
    assert_invalid(await send_json(client, "POST", PAGES, body, user.headers), loc)
