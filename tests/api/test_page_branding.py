"""A status page's branding: accent colour, footer links and favicon (issue 20)."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import User, assert_invalid
from tests.api.test_status_pages import PAGES, create_page, slug

pytestmark = pytest.mark.integration  # the real PostgreSQL

LINKS = [
    {"label": "Support", "url": "https://acme.example/support"},
    {"label": "Terms <&>", "url": "http://acme.example/terms?a=1&b=2"},
]


async def test_branding_is_stored_and_public(client: httpx.AsyncClient, user: User) -> None:
    page = await create_page(
        client,
        user,
        accent_color="#0B6BCB",
        footer_links=LINKS,
        favicon_url="https://acme.example/favicon.png",
    )
    assert (page["accent_color"], page["footer_links"], page["favicon_url"]) == (
        "#0b6bcb",
        LINKS,
        "https://acme.example/favicon.png",
    )
    public = (await client.get(f"/api/v1/public/status-pages/{page['slug']}")).json()
    assert (public["accent_color"], public["footer_links"], public["favicon_url"]) == (
        "#0b6bcb",
        LINKS,
        "https://acme.example/favicon.png",
    )
    path = f"{PAGES}/{page['id']}"
    changed = await client.patch(
        path,
        json={"accent_color": None, "favicon_url": None, "footer_links": LINKS[:1]},
        headers=user.headers,
    )
    assert changed.status_code == 200, changed.text
    assert (
        changed.json()["accent_color"],
        changed.json()["favicon_url"],
        changed.json()["footer_links"],
    ) == (None, None, LINKS[:1])
    kept = await client.patch(
        path, json={"footer_links": None, "title": "Acme"}, headers=user.headers
    )  # null: as it is
    assert kept.json()["footer_links"] == LINKS[:1]
    public = (await client.get(f"/api/v1/public/status-pages/{page['slug']}")).json()
    assert (public["accent_color"], public["footer_links"], public["favicon_url"]) == (
        None,
        LINKS[:1],
        None,
    )


async def test_unbranded_page_has_defaults(client: httpx.AsyncClient, user: User) -> None:
    page = await create_page(client, user)
    assert (page["accent_color"], page["footer_links"], page["favicon_url"]) == (None, [], None)


GARBAGE = [
    ({"accent_color": "red;}"}, ["body", "accent_color"]),
    ({"accent_color": "#12345"}, ["body", "accent_color"]),
    ({"accent_color": "#1234567"}, ["body", "accent_color"]),
    (
        {"footer_links": [{"label": "x", "url": "javascript:alert(1)"}]},
        ["body", "footer_links", 0, "url"],
    ),
    (
        {"footer_links": [{"label": "x", "url": "data:text/html,<b>"}]},
        ["body", "footer_links", 0, "url"],
    ),
    (
        {"footer_links": [{"label": "x" * 61, "url": "https://a.example"}]},
        ["body", "footer_links", 0, "label"],
    ),
    ({"footer_links": [{"label": " ", "url": "https://a.example"}]}, ["body", "footer_links", 0]),
    (
        {"footer_links": [{"label": f"l{i}", "url": "https://a.example"} for i in range(6)]},
        ["body", "footer_links"],
    ),
    (
        {"footer_links": [{"label": "x", "url": "https://a.example", "rel": "x"}]},
        ["body", "footer_links", 0, "rel"],
    ),
    ({"favicon_url": "http://acme.example/favicon.png"}, ["body", "favicon_url"]),
    ({"favicon_url": "javascript:alert(1)"}, ["body", "favicon_url"]),
]


@pytest.mark.parametrize(("fields", "loc"), GARBAGE)
async def test_garbage_is_422_and_nothing_stored(
    client: httpx.AsyncClient, user: User, fields: dict, loc: list
) -> None:
    name = slug()
    created = await client.post(
        PAGES, json={"slug": name, "title": "t", **fields}, headers=user.headers
    )
    assert_invalid(created, loc)
    assert (await client.get(f"/api/v1/public/status-pages/{name}")).status_code == 404
    page = await create_page(client, user, accent_color="#112233", footer_links=LINKS)
    path = f"{PAGES}/{page['id']}"
    assert_invalid(await client.patch(path, json=fields, headers=user.headers), loc)
    assert (await client.get(path, headers=user.headers)).json() == page
