"""Status pages for visitors at allowed email domains: a one-time sign-in link by mail (the
delivery the notifier's email channel sends), then an access token like a password's."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.tables import status_page_sign_ins, status_pages
from tests.api.helpers import assert_invalid, client_for, new_user
from tests.api.test_subscribers import Api
from tests.helpers import short_name

pytestmark = pytest.mark.integration  # the real PostgreSQL and RabbitMQ

PAGES = "/api/v1/status-pages"
PUBLIC = "/api/v1/public/status-pages"
ACCESS = "X-Vigil-Page-Access"


@pytest.fixture
async def api(database_url: str, amqp_url: str) -> AsyncIterator[Api]:
    cell = short_name("signin")
    async with client_for(
        database_url,
        VIGIL_AMQP_URL=amqp_url,
        VIGIL_CELL=cell,
        VIGIL_SUBSCRIBE_RATE_PER_IP="20",
        VIGIL_SUBSCRIBE_RATE_PER_EMAIL="3",
        VIGIL_PUBLIC_URL="https://status.example",
    ) as client:
        yield Api(client, cell, amqp_url)


async def _page(api: Api, domains: list[str] | None = None) -> tuple[object, dict]:
    user = await new_user(api.client)
    made = await api.client.post(
        PAGES,
        headers=user.headers,
        json={
            "slug": f"corp-{uuid.uuid4().hex[:8]}",
            "title": "Corp status",
            "language": "de",
            "visibility": "email_domain",
            "allowed_domains": domains or ["Example.COM"],
        },
    )
    assert made.status_code == 201, made.text
    return user, made.json()


async def _link_token(api: Api, slug: str, address: str) -> str:
    asked = await api.client.post(f"{PUBLIC}/{slug}/sign-in", json={"email": address})
    assert asked.status_code == 202, asked.text
    [mail] = await api.mails()
    n = mail.notification
    assert mail.config == {"to": [address.lower()]}
    assert (n.kind, n.monitor, n.language) == ("page_sign_in", "Corp status", "de")
    assert n.url.startswith(f"https://status.example/s/{slug}/sign-in?token=")
    assert n.expires_at is not None
    return n.url.rsplit("token=", 1)[1]


async def test_a_visitor_signs_in_once_with_the_mailed_link(api: Api) -> None:
    _, page = await _page(api)
    slug = page["slug"]
    assert page["allowed_domains"] == ["example.com"] and page["feed_token"]
    refused = await api.client.get(f"{PUBLIC}/{slug}")
    assert refused.status_code == 401 and refused.json()["visibility"] == "email_domain"
    token = await _link_token(api, slug, "Ann@Example.com")
    first = await api.client.post(f"{PUBLIC}/{slug}/sign-in/confirm", json={"token": token})
    again = await api.client.post(f"{PUBLIC}/{slug}/sign-in/confirm", json={"token": token})
    assert first.status_code == 200, first.text
    assert again.status_code == 400 and "used already" in again.json()["detail"]
    opened = await api.client.get(
        f"{PUBLIC}/{slug}", headers={ACCESS: first.json()["access_token"]}
    )
    assert opened.status_code == 200 and opened.json()["title"] == "Corp status"
    assert opened.headers["x-robots-tag"].startswith("noindex")


async def test_tampered_foreign_and_expired_links_are_refused(
    api: Api, engine: AsyncEngine
) -> None:
    _, page = await _page(api)
    _, other = await _page(api)
    slug = page["slug"]
    token = await _link_token(api, slug, "bob@example.com")
    ident, secret = token.split(".", 1)
    for bad in (f"{ident}.{secret[:-1]}x", f"{int(ident) + 1}.{secret}", "x.y", "9" * 30 + ".a"):
        answer = await api.client.post(f"{PUBLIC}/{slug}/sign-in/confirm", json={"token": bad})
        assert answer.status_code == 400, (bad, answer.text)
    foreign = await api.client.post(
        f"{PUBLIC}/{other['slug']}/sign-in/confirm", json={"token": token}
    )
    assert foreign.status_code == 400
    async with engine.begin() as conn:
        await conn.execute(
            update(status_page_sign_ins)
            .where(status_page_sign_ins.c.id == int(ident))
            .values(expires_at=func.now() - func.make_interval(0, 0, 0, 0, 1))
        )
    expired = await api.client.post(f"{PUBLIC}/{slug}/sign-in/confirm", json={"token": token})
    assert expired.status_code == 400


async def test_changing_the_domains_signs_visitors_out(api: Api) -> None:
    user, page = await _page(api, ["example.com", "example.org"])
    token = await _link_token(api, page["slug"], "cy@example.org")
    access = (
        await api.client.post(f"{PUBLIC}/{page['slug']}/sign-in/confirm", json={"token": token})
    ).json()["access_token"]
    changed = await api.client.patch(
        f"{PAGES}/{page['id']}", headers=user.headers, json={"allowed_domains": ["example.com"]}
    )
    assert changed.status_code == 200, changed.text
    after = await api.client.get(f"{PUBLIC}/{page['slug']}", headers={ACCESS: access})
    assert after.status_code == 401


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": "ann@elsewhere.com"}, 422),
        ({"email": "not an address"}, 422),
        ({"email": "ann@example.com\r\nBcc: x@evil.test"}, 422),
        ({}, 422),
        ({"email": "ann@example.com", "extra": 1}, 422),
    ],
)
async def test_garbage_and_strangers_get_no_mail(
    api: Api, engine: AsyncEngine, body: dict, status: int
) -> None:
    _, page = await _page(api)
    answer = await api.client.post(f"{PUBLIC}/{page['slug']}/sign-in", json=body)
    assert answer.status_code == status, answer.text
    assert any(
        e["loc"][:2] in (["body", "email"], ["body", "extra"]) for e in answer.json()["detail"]
    )
    assert await api.mails() == []
    async with engine.connect() as conn:
        stored = await conn.scalar(
            select(func.count())
            .select_from(status_page_sign_ins)
            .where(status_page_sign_ins.c.page_id == page["id"])
        )
    assert stored == 0


async def test_sign_ins_are_rate_limited_per_address(api: Api) -> None:
    _, page = await _page(api)
    codes = [
        (
            await api.client.post(
                f"{PUBLIC}/{page['slug']}/sign-in", json={"email": "dan@example.com"}
            )
        ).status_code
        for _ in range(4)
    ]
    assert codes == [202, 202, 202, 429]
    assert len(await api.mails()) == 3


async def test_a_password_page_takes_no_sign_in(api: Api) -> None:
    user = await new_user(api.client)
    page = (
        await api.client.post(
            PAGES,
            headers=user.headers,
            json={
                "slug": f"pw-{uuid.uuid4().hex[:8]}",
                "title": "t",
                "visibility": "password",
                "password": "long enough",
            },
        )
    ).json()
    answer = await api.client.post(
        f"{PUBLIC}/{page['slug']}/sign-in", json={"email": "ann@example.com"}
    )
    assert answer.status_code == 404


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"visibility": "email_domain"}, ["body", "allowed_domains"]),
        ({"visibility": "email_domain", "allowed_domains": []}, ["body", "allowed_domains"]),
        (
            {"visibility": "email_domain", "allowed_domains": ["not a domain"]},
            ["body", "allowed_domains", 0],
        ),
        (
            {"visibility": "email_domain", "allowed_domains": "example.com"},
            ["body", "allowed_domains"],
        ),
        (
            {"visibility": "email_domain", "allowed_domains": ["a.com", "A.com"]},
            ["body", "allowed_domains"],
        ),
        (
            {"visibility": "email_domain", "allowed_domains": ["a.com"], "password": "long enough"},
            ["body", "password"],
        ),
    ],
)
async def test_garbage_domains_are_refused_and_nothing_stored(
    database_url, engine, body, loc
) -> None:
    slug = f"bad-{uuid.uuid4().hex[:8]}"
    async with client_for(database_url) as client:
        user = await new_user(client)
        made = await client.post(
            PAGES, headers=user.headers, json={"slug": slug, "title": "t", **body}
        )
    assert_invalid(made, loc)
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).where(status_pages.c.slug == slug)) == 0
