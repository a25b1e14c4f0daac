"""A monitor's and a test's stats, response-time series and 90 daily bars."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.helpers import User, assert_invalid, create_monitor, new_user
from tests.api.history import pin_api_clock, seed

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)


@pytest.fixture(scope="module")
async def user(client: httpx.AsyncClient) -> User:
    """One account for the module: every test here only reads."""
    return await new_user(client)


@pytest.fixture(scope="module")
async def seeded(client: httpx.AsyncClient, user: User, engine: AsyncEngine) -> AsyncIterator[dict]:
    monitor = await create_monitor(client, user)
    test_id = monitor["tests"][0]["id"]
    history = await seed(engine, test_id, monitor["id"])
    with pytest.MonkeyPatch.context() as patch:  # the module's reads on the seeded day
        pin_api_clock(patch, history.now)
        yield {"monitor": monitor, "test_id": test_id, "history": history}


def _windows(body: dict) -> dict[str, tuple[int, int, int, int]]:
    return {
        w["window"]: (w["checks"], w["successes"], w["failures"], w["degraded"])
        for w in body["windows"]
    }


async def test_monitor_stats_count_each_window(client, user, seeded) -> None:
    response = await client.get(
        f"/api/v1/monitors/{seeded['monitor']['id']}/stats", headers=user.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["test_ids"] == [seeded["test_id"]]
    assert _windows(body) == {
        "24h": (100, 95, 5, 3),
        "7d": (6100, 6035, 65, 3),
        "30d": (9100, 9005, 95, 3),
        "90d": (9600, 9505, 95, 3),
    }
    uptime = {w["window"]: w["uptime"] for w in body["windows"]}
    assert uptime["24h"] == pytest.approx(0.95)
    latency = {w["window"]: w for w in body["latency"]}
    assert latency["24h"]["p50_ms"] == pytest.approx(53.0)  # latencies 6..100
    assert latency["7d"]["p99_ms"] == pytest.approx(6 + 0.99 * 94)


async def test_test_stats_match_its_monitor_of_one_test(client, user, seeded) -> None:
    by_test = (
        await client.get(f"/api/v1/tests/{seeded['test_id']}/stats", headers=user.headers)
    ).json()
    by_monitor = (
        await client.get(f"/api/v1/monitors/{seeded['monitor']['id']}/stats", headers=user.headers)
    ).json()
    assert by_test == by_monitor


async def test_stats_of_a_monitor_never_checked(client, user) -> None:
    monitor = await create_monitor(client, user)
    body = (
        await client.get(f"/api/v1/monitors/{monitor['id']}/stats", headers=user.headers)
    ).json()
    assert {w["window"]: (w["checks"], w["uptime"]) for w in body["windows"]} == {
        "24h": (0, None),
        "7d": (0, None),
        "30d": (0, None),
        "90d": (0, None),
    }
    assert all(w["p50_ms"] is None for w in body["latency"])


async def test_series_of_a_day_by_region(client, user, seeded) -> None:
    response = await client.get(
        f"/api/v1/tests/{seeded['test_id']}/series", params={"range": "24h"}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["range"], body["bucket_s"]) == ("24h", 900)
    by_region = {s["region"]: s["points"] for s in body["series"]}
    assert set(by_region) == {None, "eu", "us"}
    assert sum(p["checks"] for p in by_region[None]) == 100
    assert sum(p["checks"] for p in by_region["eu"]) == 50
    starts = [p["at"] for p in by_region[None]]
    assert starts == sorted(starts)
    again = await client.get(
        f"/api/v1/tests/{seeded['test_id']}/series", params={"range": "24h"}, headers=user.headers
    )
    assert again.json() == body  # buckets on a fixed grid: the same answer twice


async def test_long_series_are_daily_from_the_rollups(client, user, seeded) -> None:
    today = seeded["history"].today
    for range_, days in (("30d", 10), ("90d", 11)):
        body = (
            await client.get(
                f"/api/v1/tests/{seeded['test_id']}/series",
                params={"range": range_},
                headers=user.headers,
            )
        ).json()
        [series] = body["series"]
        assert body["bucket_s"] == 86400 and series["region"] is None
        points = series["points"]
        assert len(points) == days
        assert points[-2]["p50_ms"] == 40.0  # a sealed day
        assert points[-1]["at"].startswith(today.isoformat())
        assert points[-1]["checks"] == 100


async def test_ninety_bars_with_the_worst_incident_of_each_day(client, user, seeded) -> None:
    history = seeded["history"]
    response = await client.get(
        f"/api/v1/monitors/{seeded['monitor']['id']}/bars", headers=user.headers
    )
    assert response.status_code == 200, response.text
    days = response.json()["days"]
    assert len(days) == 90
    assert days[-1]["day"] == history.today.isoformat()
    by_day = {d["day"]: d for d in days}

    def day(ago: int) -> dict:
        return by_day[(history.today - timedelta(days=ago)).isoformat()]

    assert (day(0)["status"], day(0)["incident_ids"]) == ("degraded", [history.open_id])
    assert (day(3)["status"], day(3)["incident_ids"]) == ("down", [history.resolved_id])
    assert (day(1)["status"], day(1)["uptime"]) == ("up", pytest.approx(0.99))
    assert (day(40)["status"], day(40)["checks"]) == ("up", 500)
    assert (day(20)["status"], day(20)["uptime"]) == ("none", None)


async def test_another_accounts_read_models_are_not_found(client, seeded) -> None:
    other = await new_user(client)
    paths = [
        f"/api/v1/monitors/{seeded['monitor']['id']}/stats",
        f"/api/v1/monitors/{seeded['monitor']['id']}/bars",
        f"/api/v1/tests/{seeded['test_id']}/stats",
        f"/api/v1/tests/{seeded['test_id']}/series",
    ]
    for path in paths:
        response = await client.get(path, headers=other.headers)
        assert response.status_code == 404, (path, response.text)


@pytest.mark.parametrize("garbage", ["1d", "", "24H", "7d ", "90d;drop", "\x00", "9" * 300])
async def test_a_bad_range_is_refused_naming_it(client, user, seeded, garbage) -> None:
    response = await client.get(
        f"/api/v1/tests/{seeded['test_id']}/series", params={"range": garbage}, headers=user.headers
    )
    assert_invalid(response, ["query", "range"])


@pytest.mark.parametrize("bad_id", ["0", "-1", "abc", str(2**63), "1.5"])
async def test_bad_ids_are_refused_naming_them(client, user, bad_id) -> None:
    for path, name in (
        (f"/api/v1/monitors/{bad_id}/stats", "monitor_id"),
        (f"/api/v1/monitors/{bad_id}/bars", "monitor_id"),
        (f"/api/v1/tests/{bad_id}/series", "test_id"),
    ):
        assert_invalid(await client.get(path, headers=user.headers), ["path", name])


async def test_read_models_need_a_token(client, seeded) -> None:
    response = await client.get(f"/api/v1/monitors/{seeded['monitor']['id']}/stats")
    assert response.status_code == 401
