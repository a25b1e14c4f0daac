"""A year of history on a public page: 30, 90 or 365 days of bars (the owner's choice),
uptime and response time per period, SLA targets met or missed, the response-time badge.

The figures are checked against daily rollups the test inserts, computed here by hand."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from api.routes import public
from shared.tables import daily_rollups, status_page_monitors, status_pages
from tests.api.helpers import (
    badge_words,
    client_for,
    create_monitor,
    monitor_body,
    new_user,
)
from tests.api.history import pin_api_clock, rollup
from tests.helpers import eventually

pytestmark = pytest.mark.integration  # the real PostgreSQL

PAGES = "/api/v1/status-pages"
PUBLIC = "/api/v1/public/status-pages"
CHECKS = 1440


def _good(k: int) -> tuple[int, float]:
    """Failures and mean latency of the good monitor `k` days ago."""
    return (3 if k % 7 == 0 else 0), (50.0 if k < 30 else 80.0)


def _bad(k: int) -> tuple[int, float]:
    return 20, 400.0 + k


async def _year(engine, test_id: int, day_of: object, today: date) -> None:
    rows = []
    for k in range(365):
        failures, mean = day_of(k)  # type: ignore[operator]
        rows.append(
            rollup(test_id, today - timedelta(days=k), CHECKS, failures, mean_ms=mean, sealed=k > 0)
        )
    async with engine.begin() as conn:
        await conn.execute(insert(daily_rollups), rows)


def _expected(day_of: object, n: int) -> tuple[float, float]:
    """(uptime, mean response ms) over the last n days, today included."""
    days = [day_of(k) for k in range(n)]  # type: ignore[operator]
    checks = CHECKS * n
    failures = sum(f for f, _ in days)
    latency = sum(mean * (CHECKS - f) for f, mean in days)
    return round((checks - failures) / checks, 5), round(latency / (checks - failures), 1)


async def _page_of_two(
    api, engine, monkeypatch, **page: object
) -> tuple[str, dict, dict, dict, object]:
    """A page of two monitors with a year of rollups up to today; the API's clock held on
    that day (the rollups' today), even if midnight passes while the test reads."""
    user = await new_user(api)
    good = await create_monitor(api, user, **monitor_body("good"))
    bad = await create_monitor(api, user, **monitor_body("bad"))
    now = datetime.now(UTC)
    pin_api_clock(monkeypatch, now)
    today = now.date()
    await _year(engine, good["tests"][0]["id"], _good, today)
    await _year(engine, bad["tests"][0]["id"], _bad, today)
    slug = f"year-{uuid.uuid4().hex[:8]}"
    made = await api.post(PAGES, headers=user.headers, json={"slug": slug, "title": "Year", **page})
    assert made.status_code == 201, made.text
    for monitor, target in ((good, None), (bad, 98.5)):
        added = await api.post(
            f"{PAGES}/{made.json()['id']}/monitors",
            headers=user.headers,
            json={"monitor_id": monitor["id"], "sla_target": target},
        )
        assert added.status_code == 201, added.text
        assert added.json()["sla_target"] == target
    return slug, made.json(), good, bad, user


async def test_a_year_of_bars_with_periods_and_slas(database_url, engine, monkeypatch) -> None:
    async with client_for(database_url, VIGIL_PUBLIC_CACHE_TTL="600") as api:
        slug, page, good, bad, _ = await _page_of_two(
            api, engine, monkeypatch, history_days=365, sla_target=99.99
        )
        body = (await api.get(f"{PUBLIC}/{slug}")).json()
    assert (page["history_days"], page["sla_target"]) == (365, 99.99)
    assert (body["history_days"], body["sla_target"]) == (365, 99.99)
    today = public.utc_now().date()  # the day the rollups were seeded up to
    bars = {b["monitor_id"]: b for b in body["bars"]}
    g, b = bars[good["id"]], bars[bad["id"]]
    assert g["first_day"] == (today - timedelta(days=364)).isoformat()
    assert len(g["uptime"]) == len(g["status"]) == 365
    # The oldest bar is 364 days ago: 364 % 7 == 0, three failures.
    assert g["uptime"][0] == round((CHECKS - 3) / CHECKS, 5)
    assert g["uptime"][1] == 1.0
    assert list(g["periods"]) == ["24h", "7d", "30d", "90d", "365d"]
    for period, n in (("24h", 1), ("7d", 7), ("30d", 30), ("90d", 90), ("365d", 365)):
        for bar, day_of in ((g, _good), (b, _bad)):
            uptime, response = _expected(day_of, n)
            assert bar["periods"][period] == {
                "uptime": uptime,
                "response_ms": response,
                "checks": CHECKS * n,
            }, period
    # The good monitor's 99.97 % misses the page's 99.99; the bad one's 98.61 % meets its own
    # 98.5 (a monitor's target wins over the page's).
    assert g["sla"] == {"target": 99.99, "uptime": _expected(_good, 365)[0], "met": False}
    assert b["sla"] == {"target": 98.5, "uptime": _expected(_bad, 365)[0], "met": True}


async def test_the_owner_switches_the_days_and_the_page_follows(
    database_url, engine, monkeypatch
) -> None:
    async with client_for(database_url, VIGIL_PUBLIC_CACHE_TTL="600") as api:
        slug, page, good, _, user = await _page_of_two(api, engine, monkeypatch)
        ninety = (await api.get(f"{PUBLIC}/{slug}")).json()
        changed = await api.patch(
            f"{PAGES}/{page['id']}",
            headers=user.headers,
            json={"history_days": 30, "sla_target": None},
        )

        async def refreshed() -> dict | None:  # a change marks the cached page stale
            body = (await api.get(f"{PUBLIC}/{slug}")).json()
            return body if body["history_days"] == 30 else None

        thirty = await eventually(refreshed, "the page with 30 days of bars")
    assert page["history_days"] == 90 and page["sla_target"] is None
    assert changed.status_code == 200 and changed.json()["history_days"] == 30
    assert [len(b["uptime"]) for b in ninety["bars"]] == [90, 90]
    assert [len(b["uptime"]) for b in thirty["bars"]] == [30, 30]
    assert list(thirty["bars"][0]["periods"]) == ["24h", "7d", "30d"]
    bars = {b["monitor_id"]: b for b in ninety["bars"]}
    assert bars[good["id"]]["sla"] is None  # no target on the page nor the monitor
    assert bars[good["id"]]["periods"]["90d"]["uptime"] == _expected(_good, 90)[0]


async def test_response_time_badges(database_url, engine, monkeypatch) -> None:
    async with client_for(database_url, VIGIL_PUBLIC_CACHE_TTL="600") as api:
        slug, _, good, bad, _ = await _page_of_two(api, engine, monkeypatch)
        one = f"{PUBLIC}/{slug}/monitors/{good['id']}/badge.svg?kind=response_time"
        day = badge_words(await api.get(f"{one}&period=24h"))
        month = badge_words(await api.get(f"{one}&period=30d"))
        slow = badge_words(
            await api.get(
                f"{PUBLIC}/{slug}/monitors/{bad['id']}/badge.svg?kind=response_time&period=7d"
            )
        )
        page = badge_words(await api.get(f"{PUBLIC}/{slug}/badge.svg?kind=response_time&period=7d"))
        beyond = badge_words(await api.get(f"{one}&period=365d"))  # a 90-day page
        year_uptime = badge_words(
            await api.get(f"{PUBLIC}/{slug}/badge.svg?kind=uptime&period=365d")
        )
        wrong = await api.get(f"{one}&period=1y")
    assert day == ["response 24h", "50 ms"] and month == ["response 30d", "50 ms"]
    assert slow == ["response 7d", f"{_expected(_bad, 7)[1]:.0f} ms"]
    # The page's: each monitor's mean weighted by its checks (equal here).
    assert page == ["response 7d", f"{(50 + _expected(_bad, 7)[1]) / 2:.0f} ms"]
    assert beyond == ["response 365d", "no data"]
    assert year_uptime == ["uptime 365d", "no data"]
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"][-1] == "period"


async def _count(engine, table, **where: object) -> int:
    async with engine.connect() as conn:
        query = select(table).where(*(table.c[k] == v for k, v in where.items()))
        return len((await conn.execute(query)).all())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("history_days", 45),
        ("history_days", "365"),
        ("history_days", 0),
        ("history_days", None),
        ("sla_target", 100),
        ("sla_target", 0),
        ("sla_target", -1),
        ("sla_target", "99.9%"),
        ("sla_target", [99.9]),
        ("sla_target", 100.0001),
    ],
)
async def test_garbage_is_refused_naming_the_field(database_url, engine, field, value) -> None:
    async with client_for(database_url) as api:
        user = await new_user(api)
        slug = f"bad-{uuid.uuid4().hex[:8]}"
        made = await api.post(
            PAGES, headers=user.headers, json={"slug": slug, "title": "T", field: value}
        )
        assert made.status_code == 422, made.text
        assert made.json()["detail"][0]["loc"][-1] == field
        assert await _count(engine, status_pages, slug=slug) == 0
        good = await api.post(PAGES, headers=user.headers, json={"slug": slug, "title": "T"})
        page_id = good.json()["id"]
        patched = await api.patch(f"{PAGES}/{page_id}", headers=user.headers, json={field: value})
        if value is None:  # a patch's null leaves the length of history as it is
            assert patched.status_code == 200, patched.text
        else:
            assert patched.status_code == 422, patched.text
            assert patched.json()["detail"][0]["loc"][-1] == field
        stored = (await api.get(f"{PAGES}/{page_id}", headers=user.headers)).json()
        assert (stored["history_days"], stored["sla_target"]) == (90, None)
        if field == "sla_target":
            monitor = await create_monitor(api, user, **monitor_body("m"))
            added = await api.post(
                f"{PAGES}/{page_id}/monitors",
                headers=user.headers,
                json={"monitor_id": monitor["id"], "sla_target": value},
            )
            assert added.status_code == 422, added.text
            assert added.json()["detail"][0]["loc"][-1] == "sla_target"
            assert await _count(engine, status_page_monitors, page_id=page_id) == 0
