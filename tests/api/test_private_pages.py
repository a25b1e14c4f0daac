"""Password-protected status pages: the field, the hash, access tokens, feed tokens."""

from __future__ import annotations

import uuid

import feedparser
import pytest
from sqlalchemy import func, select

from shared.tables import status_pages
from tests.api.helpers import assert_invalid, client_for, create_monitor, monitor_body, new_user

pytestmark = pytest.mark.integration  # the real PostgreSQL

PAGES = "/api/v1/status-pages"
PUBLIC = "/api/v1/public/status-pages"
SECRET_WORD = "open sesame 42"
ACCESS = "X-Vigil-Page-Access"


def _slug() -> str:
    return f"priv-{uuid.uuid4().hex[:8]}"


async def _private_page(api, password: str = SECRET_WORD) -> tuple[object, dict]:
    user = await new_user(api)
    monitor = await create_monitor(api, user, **monitor_body("shop"))
    made = await api.post(
        PAGES,
        headers=user.headers,
        json={"slug": _slug(), "title": "Internal", "visibility": "password", "password": password},
    )
    assert made.status_code == 201, made.text
    page = made.json()
    await api.post(
        f"{PAGES}/{page['id']}/monitors", headers=user.headers, json={"monitor_id": monitor["id"]}
    )
    return user, page


async def _token(api, slug: str, password: str = SECRET_WORD) -> str:
    answer = await api.post(f"{PUBLIC}/{slug}/access", json={"password": password})
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


async def test_the_owner_reads_visibility_and_token_never_the_password(
    database_url, engine
) -> None:
    async with client_for(database_url) as api:
        user, page = await _private_page(api)
        read = (await api.get(f"{PAGES}/{page['id']}", headers=user.headers)).json()
    assert read["visibility"] == "password" and read["has_password"] is True
    assert len(read["feed_token"]) >= 32
    assert "password" not in read and "password_hash" not in read
    async with engine.connect() as conn:
        stored = await conn.scalar(
            select(status_pages.c.password_hash).where(status_pages.c.id == page["id"])
        )
    assert stored.startswith("$argon2") and SECRET_WORD not in stored


async def test_a_private_page_refuses_without_the_password_and_opens_with_it(database_url) -> None:
    async with client_for(database_url, VIGIL_PUBLIC_CACHE_TTL="600") as api:
        _, page = await _private_page(api)
        slug = page["slug"]
        refused = await api.get(f"{PUBLIC}/{slug}")
        again = await api.get(f"{PUBLIC}/{slug}")  # now cached: still refused
        wrong = await api.post(f"{PUBLIC}/{slug}/access", json={"password": "guess"})
        token = await _token(api, slug)
        opened = await api.get(f"{PUBLIC}/{slug}", headers={ACCESS: token})
        tampered = await api.get(f"{PUBLIC}/{slug}", headers={ACCESS: token[:-2] + "AA"})
        later = token.split(".")
        forged = await api.get(
            f"{PUBLIC}/{slug}", headers={ACCESS: f"{later[0]}.{int(later[1]) + 10**6}.{later[2]}"}
        )
    for answer in (refused, again, tampered, forged):
        assert answer.status_code == 401, answer.text
        assert answer.json()["visibility"] == "password"
        assert answer.headers["x-robots-tag"].startswith("noindex")
        assert "Internal" not in answer.text
    assert wrong.status_code == 401
    assert opened.status_code == 200, opened.text
    assert opened.json()["title"] == "Internal" and opened.json()["visibility"] == "password"
    assert opened.headers["x-robots-tag"].startswith("noindex")
    assert opened.headers["cache-control"].startswith("private")


async def test_a_token_opens_only_its_page_and_a_new_password_revokes_it(database_url) -> None:
    async with client_for(database_url) as api:
        user, page = await _private_page(api)
        _, other = await _private_page(api)
        token = await _token(api, page["slug"])
        elsewhere = await api.get(f"{PUBLIC}/{other['slug']}", headers={ACCESS: token})
        changed = await api.patch(
            f"{PAGES}/{page['id']}", headers=user.headers, json={"password": "a brand new one"}
        )
        assert changed.status_code == 200, changed.text
        revoked = await api.get(f"{PUBLIC}/{page['slug']}", headers={ACCESS: token})
        old_password = await api.post(
            f"{PUBLIC}/{page['slug']}/access", json={"password": SECRET_WORD}
        )
        new = await _token(api, page["slug"], "a brand new one")
        opened = await api.get(f"{PUBLIC}/{page['slug']}", headers={ACCESS: new})
    assert elsewhere.status_code == 401
    assert revoked.status_code == 401
    assert old_password.status_code == 401
    assert opened.status_code == 200


async def test_feeds_and_badges_need_the_feed_token(database_url) -> None:
    async with client_for(database_url, VIGIL_PUBLIC_CACHE_TTL="600") as api:
        _, page = await _private_page(api)
        base, token = f"{PUBLIC}/{page['slug']}", page["feed_token"]
        access = await _token(api, page["slug"])
        answers = {
            path: await api.get(f"{base}/{path}") for path in ("feed.rss", "feed.atom", "badge.svg")
        }
        tampered = await api.get(f"{base}/feed.rss", params={"token": token[:-1] + "x"})
        by_access = await api.get(f"{base}/feed.rss", headers={ACCESS: access})
        rss = await api.get(f"{base}/feed.rss", params={"token": token})
        atom = await api.get(f"{base}/feed.atom", params={"token": token})
        badge = await api.get(f"{base}/badge.svg", params={"token": token})
        page_json = await api.get(base, params={"token": token})
    for answer in (*answers.values(), tampered, by_access):
        assert answer.status_code == 401, answer.text
        assert "Internal" not in answer.text
    for answer, version in ((rss, "rss20"), (atom, "atom10")):
        assert answer.status_code == 200, answer.text
        parsed = feedparser.parse(answer.content)
        assert not parsed.bozo, parsed.bozo_exception
        assert parsed.version == version and parsed.feed.title == "Internal"
        assert answer.headers["x-robots-tag"].startswith("noindex")
    assert badge.status_code == 200 and badge.text.startswith("<svg")
    assert page_json.status_code == 200  # the embed API takes the feed token too


async def test_rotating_the_feed_token_retires_the_old_urls(database_url) -> None:
    async with client_for(database_url) as api:
        user, page = await _private_page(api)
        rotated = (
            await api.patch(
                f"{PAGES}/{page['id']}", headers=user.headers, json={"rotate_feed_token": True}
            )
        ).json()
        old = await api.get(
            f"{PUBLIC}/{page['slug']}/feed.rss", params={"token": page["feed_token"]}
        )
        new = await api.get(
            f"{PUBLIC}/{page['slug']}/feed.rss", params={"token": rotated["feed_token"]}
        )
    assert rotated["feed_token"] != page["feed_token"]
    assert old.status_code == 401 and new.status_code == 200


async def test_a_page_made_public_again_is_open_and_forgets_its_password(database_url) -> None:
    async with client_for(database_url) as api:
        user, page = await _private_page(api)
        public = await api.patch(
            f"{PAGES}/{page['id']}", headers=user.headers, json={"visibility": "public"}
        )
        opened = await api.get(f"{PUBLIC}/{page['slug']}")
        feed = await api.get(f"{PUBLIC}/{page['slug']}/feed.rss")
        back = await api.patch(
            f"{PAGES}/{page['id']}", headers=user.headers, json={"visibility": "password"}
        )
    assert public.json()["visibility"] == "public" and public.json()["feed_token"] is None
    assert public.json()["has_password"] is False
    assert opened.status_code == 200 and "x-robots-tag" not in opened.headers
    assert feed.status_code == 200
    assert_invalid(back, ["body", "password"])  # private again: a new password first


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"visibility": "secret"}, ["body", "visibility"]),
        ({"visibility": 1}, ["body", "visibility"]),
        ({"visibility": "password"}, ["body", "password"]),
        ({"visibility": "password", "password": "short"}, ["body", "password"]),
        ({"visibility": "password", "password": 12345678}, ["body", "password"]),
        ({"visibility": "password", "password": "x" * 257}, ["body", "password"]),
        ({"password": "a fine password"}, ["body", "password"]),  # a public page has none
    ],
)
async def test_garbage_visibility_is_refused_and_nothing_stored(
    database_url, engine, body, loc
) -> None:
    slug = _slug()
    async with client_for(database_url) as api:
        user = await new_user(api)
        made = await api.post(
            PAGES, headers=user.headers, json={"slug": slug, "title": "t", **body}
        )
        page = (
            await api.post(PAGES, headers=user.headers, json={"slug": _slug(), "title": "t"})
        ).json()
        changed = await api.patch(f"{PAGES}/{page['id']}", headers=user.headers, json=body)
        after = (await api.get(f"{PAGES}/{page['id']}", headers=user.headers)).json()
    assert_invalid(made, loc)
    assert_invalid(changed, loc)
    assert after["visibility"] == "public" and after["has_password"] is False
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).where(status_pages.c.slug == slug)) == 0


@pytest.mark.parametrize(
    "body", [{}, {"password": ""}, {"password": 5}, {"pass": "x"}, {"password": "x" * 300}]
)
async def test_garbage_password_attempts_are_422_naming_the_field(database_url, body) -> None:
    async with client_for(database_url) as api:
        _, page = await _private_page(api)
        answer = await api.post(f"{PUBLIC}/{page['slug']}/access", json=body)
    assert answer.status_code == 422, answer.text
    assert any(
        e["loc"][:2] in (["body", "password"], ["body", "pass"]) for e in answer.json()["detail"]
    )


async def test_password_attempts_are_rate_limited_per_client(database_url) -> None:
    async with client_for(database_url, VIGIL_PAGE_PASSWORD_RATE_PER_IP="3") as api:
        _, page = await _private_page(api)
        answers = [
            await api.post(f"{PUBLIC}/{page['slug']}/access", json={"password": f"guess {i}"})
            for i in range(4)
        ]
        right = await api.post(f"{PUBLIC}/{page['slug']}/access", json={"password": SECRET_WORD})
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert int(answers[-1].headers["retry-after"]) > 0
    assert right.status_code == 429  # even the right one waits: no oracle for a guesser


async def test_a_public_page_takes_no_password_and_subscribers_need_access(database_url) -> None:
    async with client_for(database_url) as api:
        user = await new_user(api)
        page = (
            await api.post(PAGES, headers=user.headers, json={"slug": _slug(), "title": "Open"})
        ).json()
        attempt = await api.post(f"{PUBLIC}/{page['slug']}/access", json={"password": "anything"})
        _, private = await _private_page(api)
        subscribe = await api.post(
            f"{PUBLIC}/{private['slug']}/subscribers", json={"email": "someone@example.com"}
        )
    assert page["visibility"] == "public" and page["feed_token"] is None
    assert attempt.status_code == 404
    assert subscribe.status_code == 401


async def test_another_cell_sends_the_password_to_the_page_s_cell(
    directory_url: str, database_url: str, other_cell_url: str
) -> None:
    from tests.api.cells import owner_in, two_cells

    async with two_cells(directory_url, database_url, other_cell_url, capacity_a=1) as (_, a, b):
        auth = await owner_in(a)
        slug = _slug()
        made = await a.client.post(
            PAGES,
            headers=auth,
            json={"slug": slug, "title": "A", "visibility": "password", "password": SECRET_WORD},
        )
        assert made.status_code == 201, made.text
        asked = await b.client.post(f"{PUBLIC}/{slug}/access", json={"password": "x"})
        sign_in = await b.client.post(f"{PUBLIC}/{slug}/sign-in", json={"email": "a@example.com"})
        nowhere = await b.client.post(f"{PUBLIC}/nobody-{slug}/access", json={"password": "x"})
    assert asked.status_code == 307
    assert asked.headers["location"] == f"{a.url}{PUBLIC}/{slug}/access"
    assert sign_in.status_code == 307  # the cell's to answer (here: 404, no sign-in page)
    assert nowhere.status_code == 404
