"""A public page's RSS and Atom feeds (through feedparser) and its SVG badges."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import feedparser
import pytest

from tests.api.helpers import (
    badge_words,
    client_for,
    create_monitor,
    monitor_body,
    new_user,
)
from tests.api.history import pin_api_clock, seed

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

PUBLIC = "/api/v1/public/status-pages"


async def _page(api, engine, monkeypatch) -> tuple[str, dict, object]:
    user = await new_user(api)
    monitor = await create_monitor(api, user, **monitor_body("shop"))
    history = await seed(engine, monitor["tests"][0]["id"], monitor["id"])
    pin_api_clock(monkeypatch, history.now)
    slug = f"feed-{uuid.uuid4().hex[:8]}"
    page = (
        await api.post(
            "/api/v1/status-pages", json={"slug": slug, "title": "Shop & Co"}, headers=user.headers
        )
    ).json()
    await api.post(
        f"/api/v1/status-pages/{page['id']}/monitors",
        headers=user.headers,
        json={"monitor_id": monitor["id"]},
    )
    now = datetime.now(UTC)
    made = await api.post(
        "/api/v1/maintenance-windows",
        headers=user.headers,
        json={
            "title": "db <upgrade>",
            "status_page_id": page["id"],
            "starts_at": (now + timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
        },
    )
    assert made.status_code == 201, made.text
    return slug, monitor, history


async def test_feeds_carry_the_pages_incidents_and_maintenance(
    database_url, engine, monkeypatch
) -> None:
    async with client_for(database_url, VIGIL_PUBLIC_CACHE_TTL="600") as api:
        slug, _, history = await _page(api, engine, monkeypatch)
        page = (await api.get(f"{PUBLIC}/{slug}")).json()
        rss = await api.get(f"{PUBLIC}/{slug}/feed.rss")
        atom = await api.get(f"{PUBLIC}/{slug}/feed.atom")
    assert rss.headers["content-type"].startswith("application/rss+xml")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    expected = {f"incident-{i['id']}" for i in page["incidents"]} | {
        f"maintenance-{w['starts_at']}-{w['title']}" for w in page["maintenance"]
    }
    assert len(expected) == 3
    for response, version in ((rss, "rss20"), (atom, "atom10")):
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, parsed.bozo_exception
        assert parsed.version == version
        assert parsed.feed.title == "Shop & Co"
        ids = {entry.id.rsplit("#", 1)[1] for entry in parsed.entries}
        assert ids == expected
        assert all(entry.link.endswith(f"/s/{slug}") for entry in parsed.entries)
        titles = [entry.title for entry in parsed.entries]
        assert "Maintenance: db <upgrade>" in titles
        assert sum(t.endswith("(resolved)") for t in titles) == 1  # history.resolved_id
        assert sum(t.endswith("(ongoing)") for t in titles) == 1  # history.open_id
    assert history.open_id in {i["id"] for i in page["incidents"]}


async def test_badges_show_the_pages_figures(database_url, engine, monkeypatch) -> None:
    async with client_for(database_url, VIGIL_PUBLIC_CACHE_TTL="600") as api:
        slug, monitor, _ = await _page(api, engine, monkeypatch)
        one = f"{PUBLIC}/{slug}/monitors/{monitor['id']}/badge.svg"
        status = badge_words(await api.get(f"{PUBLIC}/{slug}/badge.svg"))
        day = badge_words(await api.get(f"{one}?kind=uptime&period=24h"))
        week = badge_words(await api.get(f"{one}?kind=uptime&period=7d"))
        page_week = badge_words(await api.get(f"{PUBLIC}/{slug}/badge.svg?kind=uptime&period=7d"))
        missing = await api.get(f"{PUBLIC}/{slug}/monitors/{monitor['id'] + 10**6}/badge.svg")
        nowhere = await api.get(f"{PUBLIC}/no-such-{uuid.uuid4().hex[:8]}/badge.svg")
        wrong = await api.get(f"{PUBLIC}/{slug}/badge.svg?kind=uptime&period=2y")
        bad_kind = await api.get(f"{PUBLIC}/{slug}/badge.svg?kind=colour")
    assert status == ["status", "pending"]  # the seeded results leave no test_state row
    # today: 100 checks, 5 failures; the six days before: 1,000 checks, 10 failures each.
    assert day == ["uptime 24h", "95.00%"]
    assert week == page_week == ["uptime 7d", f"{(0.95 + 6 * 0.99) / 7 * 100:.2f}%"]
    assert (missing.status_code, nowhere.status_code) == (404, 404)
    for garbage, field in ((wrong, "period"), (bad_kind, "kind")):
        assert garbage.status_code == 422
        assert garbage.json()["detail"][0]["loc"][-1] == field
