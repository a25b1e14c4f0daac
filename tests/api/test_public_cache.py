"""The public page's cache: what it keeps (closed days, per UTC day), what makes it
rebuild (the watermark: late results, incidents, updates; the page's monitors), what a
refresh shows within the TTL, ETags, and that readers never wait once a page is warm."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from api import public_cache
from api.app import create_app
from api.routes import public
from shared.messages import Status
from shared.tables import daily_rollups, incident_updates, incidents
from tests.api.helpers import User, create_monitor, monitor_body, new_user, running, settings
from tests.api.history import History, pin_api_clock, seed
from tests.api.test_public import set_state
from tests.helpers import eventually

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

PUBLIC = "/api/v1/public/status-pages"
TTL = "0.5"


@dataclass
class Page:
    api: httpx.AsyncClient
    app: object
    user: User
    slug: str
    page_id: int
    monitor: dict
    test_id: int
    history: History
    clock: pytest.MonkeyPatch  # holds the API's clock on the seeded day; moves it too

    @property
    def path(self) -> str:
        return f"{PUBLIC}/{self.slug}"

    async def get(self) -> dict:
        response = await self.api.get(self.path)
        assert response.status_code == 200, response.text
        return response.json()

    def kept(self) -> object:
        return self.app.state.public_histories[self.slug]  # type: ignore[attr-defined]

    async def shows(self, what: str, check) -> dict:  # noqa: ANN001
        async def probe() -> dict | None:
            body = await self.get()
            return body if check(body) else None

        # The TTL is half a second: a change shows after a refresh or two.
        return await eventually(probe, what, timeout=10, every=0.1)


@asynccontextmanager
async def a_page(database_url: str, engine: AsyncEngine) -> AsyncIterator[Page]:
    """A page of one monitor with seeded history (see tests.api.history.seed)."""
    app = create_app(settings(database_url, VIGIL_PUBLIC_CACHE_TTL=TTL))
    async with running(app) as api:
        user = await new_user(api)
        monitor = await create_monitor(api, user, **monitor_body("shop"))
        test_id = monitor["tests"][0]["id"]
        history = await seed(engine, test_id, monitor["id"])
        slug = f"cache-{uuid.uuid4().hex[:8]}"
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
        with pytest.MonkeyPatch.context() as clock:
            pin_api_clock(clock, history.now)
            yield Page(api, app, user, slug, page["id"], monitor, test_id, history, clock)


def bars(body: dict, monitor_id: int) -> dict:
    return next(b for b in body["bars"] if b["monitor_id"] == monitor_id)


async def test_states_show_within_the_ttl_and_the_closed_days_are_kept(
    database_url: str, engine: AsyncEngine
) -> None:
    async with a_page(database_url, engine) as page:
        first = await page.get()
        assert first["groups"][0]["monitors"][0]["status"] == "pending"
        kept = page.kept()
        await set_state(engine, page.test_id, Status.DOWN)
        await page.shows("the DOWN state", lambda b: b["status"] == "down")
        async with engine.begin() as conn:  # today's counts move with every check
            await conn.execute(
                update(daily_rollups)
                .where(
                    daily_rollups.c.test_id == page.test_id,
                    daily_rollups.c.day == page.history.today,
                )
                .values(checks=200)
            )
        await page.shows(
            "today's new uptime",
            lambda b: bars(b, page.monitor["id"])["uptime"][-1] == round(195 / 200, 5),
        )
        assert page.kept() is kept  # neither change rebuilt the closed days


async def test_late_results_for_a_closed_day_show(database_url: str, engine: AsyncEngine) -> None:
    async with a_page(database_url, engine) as page:
        before = bars(await page.get(), page.monitor["id"])
        assert before["uptime"][-3] == 0.99  # two days ago: 1,000 checks, 10 failures
        kept = page.kept()
        two_days_ago = page.history.today - timedelta(days=2)
        async with engine.begin() as conn:  # a cut-off region's results, stored late
            await conn.execute(
                update(daily_rollups)
                .where(daily_rollups.c.test_id == page.test_id, daily_rollups.c.day == two_days_ago)
                .values(
                    checks=daily_rollups.c.checks + 1000, failures=daily_rollups.c.failures + 990
                )
            )
        await page.shows(
            "the late failures", lambda b: bars(b, page.monitor["id"])["uptime"][-3] == 0.5
        )
        assert page.kept() is not kept


async def test_new_incidents_and_updates_show(database_url: str, engine: AsyncEngine) -> None:
    async with a_page(database_url, engine) as page:
        first = await page.get()
        assert len(first["incidents"]) == 2
        five_days_ago = page.history.now - timedelta(days=5)
        async with engine.begin() as conn:  # as the processor writes them: no API call
            made = await conn.scalar(
                insert(incidents)
                .values(
                    test_id=page.test_id,
                    monitor_id=page.monitor["id"],
                    state="resolved",
                    cause="x",
                    started_at=five_days_ago,
                    confirmed_at=five_days_ago,
                    resolved_at=five_days_ago + timedelta(minutes=5),
                    evidence={"eu": [{"status": "down"}]},
                )
                .returning(incidents.c.id)
            )
        day = five_days_ago.date().isoformat()
        shown = await page.shows(
            "the new incident", lambda b: made in [i["id"] for i in b["incidents"]]
        )
        assert bars(shown, page.monitor["id"])["incident_ids"][day] == [made]
        async with engine.begin() as conn:
            await conn.execute(
                insert(incident_updates).values(
                    incident_id=made, account_id=page.user.id, message="post-mortem"
                )
            )
        await page.shows(
            "the update",
            lambda b: (
                [u["message"] for i in b["incidents"] if i["id"] == made for u in i["updates"]]
                == ["post-mortem"]
            ),
        )
        open_id = first["incidents"][0]["id"]
        async with engine.begin() as conn:  # the open incident turns DOWN, then resolves
            await conn.execute(
                update(incidents).where(incidents.c.id == open_id).values(state="down")
            )
        await page.shows(
            "the worse incident", lambda b: bars(b, page.monitor["id"])["status"][-1] == "down"
        )
        async with engine.begin() as conn:
            await conn.execute(
                update(incidents)
                .where(incidents.c.id == open_id)
                .values(state="resolved", resolved_at=datetime.now(UTC))
            )
        await page.shows("the resolution", lambda b: b["incidents"][0]["resolved_at"])


async def test_a_change_to_the_pages_monitors_shows(database_url: str, engine: AsyncEngine) -> None:
    async with a_page(database_url, engine) as page:
        await page.get()
        other = await create_monitor(page.api, page.user, **monitor_body("blog"))
        await page.api.post(
            f"/api/v1/status-pages/{page.page_id}/monitors",
            headers=page.user.headers,
            json={"monitor_id": other["id"]},
        )
        shown = await page.shows("the second monitor", lambda b: len(b["bars"]) == 2)
        assert bars(shown, other["id"])["status"] == ["none"] * 90
        await page.api.delete(
            f"/api/v1/status-pages/{page.page_id}/monitors/{page.monitor['id']}",
            headers=page.user.headers,
        )
        shown = await page.shows("the first monitor gone", lambda b: len(b["bars"]) == 1)
        assert shown["incidents"] == []


async def test_a_new_day_rolls_over(database_url: str, engine: AsyncEngine) -> None:
    async with a_page(database_url, engine) as page:
        today = bars(await page.get(), page.monitor["id"])
        assert today["uptime"][-1] == 0.95  # 100 checks, 5 failures so far
        tomorrow = page.history.now + timedelta(days=1)
        page.clock.setattr(public, "utc_now", lambda: tomorrow)
        shown = await page.shows(
            "tomorrow's page",
            lambda b: bars(b, page.monitor["id"])["first_day"] != today["first_day"],
        )
        moved = bars(shown, page.monitor["id"])
        assert moved["first_day"] == (tomorrow.date() - timedelta(days=89)).isoformat()
        assert moved["uptime"][-2] == 0.95 and moved["uptime"][-1] is None
        assert moved["uptime"][:-2] == today["uptime"][1:-1]


async def test_etag_gzip_and_not_modified(database_url: str, engine: AsyncEngine) -> None:
    async with a_page(database_url, engine) as page:
        plain = await page.api.get(page.path, headers={"Accept-Encoding": "identity"})
        zipped = await page.api.get(page.path, headers={"Accept-Encoding": "gzip"})
        assert "content-encoding" not in plain.headers
        assert zipped.headers["content-encoding"] == "gzip"
        assert int(zipped.headers["content-length"]) < len(plain.content) / 2
        assert zipped.json()["slug"] == plain.json()["slug"] == page.slug
        assert plain.headers["vary"] == zipped.headers["vary"] == "Accept-Encoding"
        etag = zipped.headers["etag"]
        if plain.json()["generated_at"] == zipped.json()["generated_at"]:  # same build
            assert etag == plain.headers["etag"][:-1] + '-gz"'
        same = await page.api.get(
            page.path, headers={"If-None-Match": etag, "Accept-Encoding": "gzip"}
        )
        if same.status_code == 200:  # refreshed in between: the new body has its own tag
            assert same.headers["etag"] != etag
        else:
            assert same.status_code == 304 and same.content == b""
            assert same.headers["etag"] == etag and "max-age" in same.headers["cache-control"]
        for garbage in ('"nope"', "W/", "", "\x7f" * 3, ",,,", "a" * 4000):
            answer = await page.api.get(
                page.path, headers={"If-None-Match": garbage, "Accept-Encoding": garbage}
            )
            assert answer.status_code == 200 and answer.json()["slug"] == page.slug


@pytest.mark.parametrize(
    ("header", "takes"),
    [
        (b"gzip", True),
        (b"gzip, deflate, br", True),
        (b"GZIP;q=0.5", True),
        (b"x-gzip", True),
        (b"*", True),
        (b"identity", False),
        (b"", False),
        (b"gzip;q=0", False),
        (b"gzip;q=0.0, identity", False),
        (b"*;q=1, gzip;q=0", False),
        (b"gzip;q=0, *", False),
        (b"*;q=0", False),
        (b"gzip;q=nope", False),
        (b"br;q=1, *;q=0.1", True),
        (b"notgzip", False),
        (b",,;;==", False),
        (b"\x7f*\x00", False),
    ],
)
def test_accept_encoding_is_weighed_not_searched(header: bytes, takes: bool) -> None:
    assert public_cache.takes_gzip(header) is takes


async def test_garbage_slugs(database_url: str) -> None:
    app = create_app(settings(database_url, VIGIL_PUBLIC_CACHE_TTL=TTL))
    async with running(app) as api:
        for slug in ("no-such-page-here", "abc", "a" * 63):
            assert (await api.get(f"{PUBLIC}/{slug}")).status_code == 404
        for slug in (
            "UPPER",
            "a" * 64,
            "%00abc",
            "-x-",
            "a_b",
            "%C3%A9t%C3%A9",
            "..%2F..",
            "a%20b",
            "x" * 5000,
            "%FF%FE",
        ):
            response = await api.get(f"{PUBLIC}/{slug}")
            assert response.status_code in (404, 422), (slug, response.status_code)
        assert (await api.get(f"{PUBLIC}/")).status_code == 404
        assert (await api.get(f"{PUBLIC}/a/b")).status_code == 404
        # Nothing invalid was kept: only the (not found) answers of well-formed slugs.
        assert set(app.state.public_cache._entries) <= {"no-such-page-here", "abc", "a" * 63}


@pytest.mark.parametrize(
    "private",
    [
        {"visibility": "password", "password": "open sesame 42"},
        {"visibility": "email_domain", "allowed_domains": ["example.com"]},
    ],
)
async def test_a_page_made_private_is_refused_at_once_not_served_stale(
    database_url: str, private: dict
) -> None:
    # A long TTL: only the change itself can make the cached public answer go.
    app = create_app(settings(database_url, VIGIL_PUBLIC_CACHE_TTL="600"))
    async with running(app) as api:
        user = await new_user(api)
        slug = f"cache-{uuid.uuid4().hex[:8]}"
        made = (
            await api.post(
                "/api/v1/status-pages", headers=user.headers, json={"slug": slug, "title": "Shop"}
            )
        ).json()
        public_answer = await api.get(f"{PUBLIC}/{slug}")
        assert public_answer.status_code == 200
        etag = public_answer.headers["etag"]
        assert (
            await api.get(f"{PUBLIC}/{slug}", headers={"If-None-Match": etag})
        ).status_code == 304  # cached
        changed = await api.patch(
            f"/api/v1/status-pages/{made['id']}", headers=user.headers, json=private
        )
        assert changed.status_code == 200, changed.text
        for headers in ({}, {"If-None-Match": etag}):
            answer = await api.get(f"{PUBLIC}/{slug}", headers=headers)
            assert answer.status_code == 401, (headers, answer.status_code)
            assert answer.json()["visibility"] == private["visibility"]
            assert "Shop" not in answer.text


async def test_forget_drops_a_value_and_a_computation_that_predates_it() -> None:
    cache: public_cache.TtlCache[str] = public_cache.TtlCache(600)
    assert await cache.get("a", _value("old")) == "old"
    cache.clear()  # stale: still answered once while it refreshes
    assert await cache.get("a", _value("new")) == "old"
    cache.forget("a")
    assert cache.peek("a") is None
    assert await cache.get("a", _value("fresh")) == "fresh"

    started, release = asyncio.Event(), asyncio.Event()

    async def slow() -> str:
        started.set()
        await release.wait()
        return "before the change"

    running_fill = asyncio.create_task(cache.get("b", slow))
    await started.wait()
    cache.forget("b")  # the change lands while "b" is being computed
    after = asyncio.create_task(cache.get("b", _value("after the change")))
    assert await after == "after the change"  # not the computation that predates it
    release.set()
    assert await running_fill == "before the change"  # its own caller gets it...
    assert cache.peek("b") == "after the change"  # ...but it is not kept


def _value(value: str):  # noqa: ANN202 - a compute function
    async def compute() -> str:
        return value

    return compute
