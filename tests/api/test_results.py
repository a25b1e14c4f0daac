"""A test's results, newest first with cursor paging; its state and the monitor's status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, insert
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.messages import Status
from shared.tables import results_week, test_state
from tests.api.helpers import User, create_monitor, http_test

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def result(test_id: int, seconds_ago: float, **fields: Any) -> dict[str, Any]:
    row = {
        "test_id": test_id,
        "checked_at": T0 - timedelta(seconds=seconds_ago),
        "region": "local",
        "node": "node-1",
        "status": int(Status.UP),
        "latency_ms": 12.5,
        "http_status": 200,
        "error_kind": None,
        "error": None,
    }
    return {**row, **fields}


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """What the API shows of a stored result row."""
    return {
        "checked_at": row["checked_at"].isoformat().replace("+00:00", "Z"),
        "status": Status(row["status"]).label,
        **{k: row[k] for k in ("latency_ms", "http_status", "error_kind", "error")},
        "region": row["region"],
        "node": row["node"],
        "timings": None,
        "cert_days": None,
        "attempts": None,
        "first_error": None,
        "check_now_for": None,
        "extras": {},
    }


async def store(engine: AsyncEngine, rows: list[dict[str, Any]]) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(results_week), rows)


async def set_state(engine: AsyncEngine, test_id: int, status: Status | None) -> None:
    async with engine.begin() as conn:
        if status is None:
            await conn.execute(delete(test_state).where(test_state.c.test_id == test_id))
            return
        row = {
            "test_id": test_id,
            "status": int(status),
            "since": T0 - timedelta(hours=1),
            "checked_at": T0,
            "latency_ms": None if status == Status.DOWN else 20.0,
            "http_status": None if status == Status.DOWN else 200,
            "error_kind": "timeout" if status == Status.DOWN else None,
            "error": "no answer in 10 s" if status == Status.DOWN else None,
            "region": "local",
        }
        query = upsert(test_state).values(row)
        await conn.execute(query.on_conflict_do_update(index_elements=["test_id"], set_=row))


async def results_of(
    client: httpx.AsyncClient, user: User, test_id: int, **params: Any
) -> httpx.Response:
    return await client.get(f"/api/v1/tests/{test_id}/results", params=params, headers=user.headers)


async def all_pages(client: httpx.AsyncClient, user: User, test_id: int, limit: int) -> list[Any]:
    items: list[Any] = []
    params: dict[str, Any] = {"limit": limit}
    for _ in range(100):
        page = (await results_of(client, user, test_id, **params)).json()
        items.extend(page["items"])
        if page["next"] is None:
            return items
        params["cursor"] = page["next"]
    raise AssertionError("the cursor never ran out")


@pytest.fixture
async def two_tests(client: httpx.AsyncClient, user: User) -> tuple[int, int, int]:
    """(monitor id, first test id, second test id) of a new monitor of `user`."""
    monitor = await create_monitor(client, user, name="two", tests=[http_test(), http_test()])
    return monitor["id"], monitor["tests"][0]["id"], monitor["tests"][1]["id"]


async def test_results_are_newest_first(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine, two_tests: tuple[int, int, int]
) -> None:
    _, test_id, other_id = two_tests
    rows = [
        result(test_id, 120),
        result(
            test_id,
            0,
            status=int(Status.DOWN),
            latency_ms=None,
            http_status=None,
            error_kind="timeout",
            error="no answer in 10 s",
        ),
        result(test_id, 60, status=int(Status.DEGRADED), latency_ms=2500.0, region="eu"),
        result(other_id, 30),  # another test's result: never shown here
    ]
    await store(engine, rows)
    response = await results_of(client, user, test_id)
    assert response.status_code == 200
    assert response.json() == {
        "items": [shown(rows[1]), shown(rows[2]), shown(rows[0])],
        "next": None,
    }


async def test_limit_and_cursor_walk_every_result_once(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine, two_tests: tuple[int, int, int]
) -> None:
    _, test_id, _ = two_tests
    rows = [result(test_id, 60 * i + 0.000_001 * i) for i in range(7)]
    await store(engine, rows)
    first = (await results_of(client, user, test_id, limit=3)).json()
    assert first["items"] == [shown(row) for row in rows[:3]]
    assert first["next"] is not None
    assert await all_pages(client, user, test_id, limit=3) == [shown(row) for row in rows]


async def test_results_of_the_same_instant_are_not_lost_between_pages(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine, two_tests: tuple[int, int, int]
) -> None:
    # Several regions may check a test in the same millisecond: a cursor of the time alone
    # would skip the rest of them.
    _, test_id, _ = two_tests
    same = [result(test_id, 10, region=region) for region in ("us", "eu", "ap", "sa")]
    same += [result(test_id, 10, region="eu", node="node-2")]
    rows = [result(test_id, 0), *same, result(test_id, 20)]
    await store(engine, rows)
    expected = [shown(rows[0])]
    expected += sorted((shown(row) for row in same), key=lambda r: (r["region"], r["node"]))
    expected += [shown(rows[-1])]
    for limit in (1, 2, 3):
        assert await all_pages(client, user, test_id, limit=limit) == expected


async def test_a_test_without_results_has_an_empty_page(
    client: httpx.AsyncClient, user: User, two_tests: tuple[int, int, int]
) -> None:
    response = await results_of(client, user, two_tests[1])
    assert response.json() == {"items": [], "next": None}


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 1001}, ["query", "limit"]),
        ({"cursor": "garbage!"}, ["query", "cursor"]),
        ({"cursor": "WzEsMiwzXQ"}, ["query", "cursor"]),  # [1,2,3]
        ({"cursor": "WzFlOTksImEiLCJiIl0"}, ["query", "cursor"]),  # [1e99,"a","b"]
        ({"cursor": "Wzk5OTk5OTk5OTk5OTk5OTk5OTk5OSwiYSIsImIiXQ"}, ["query", "cursor"]),
        ({"cursor": "WzEsIlx1MDAwMCIsImIiXQ"}, ["query", "cursor"]),  # [1,"\u0000","b"]
    ],
)
async def test_bad_paging_is_422(
    client: httpx.AsyncClient,
    user: User,
    two_tests: tuple[int, int, int],
    params: dict[str, Any],
    loc: list[str],
) -> None:
    response = await results_of(client, user, two_tests[1], **params)
    assert response.status_code == 422, response.text
    assert loc in [error["loc"] for error in response.json()["detail"]]


async def test_results_of_a_missing_test_are_404(client: httpx.AsyncClient, user: User) -> None:
    response = await results_of(client, user, 987654321)
    assert response.status_code == 404
    assert response.json() == {"detail": "test not found"}


async def test_state_is_shown_on_the_test_and_the_worst_on_the_monitor(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine, two_tests: tuple[int, int, int]
) -> None:
    monitor_id, first, second = two_tests

    async def monitor() -> dict[str, Any]:
        response = await client.get(f"/api/v1/monitors/{monitor_id}", headers=user.headers)
        return response.json()

    await set_state(engine, first, Status.UP)
    shown_monitor = await monitor()
    assert shown_monitor["status"] == "pending"  # the second test has not been checked yet
    assert shown_monitor["tests"][0]["state"] == {
        "status": "up",
        "since": "2026-03-01T11:00:00Z",
        "checked_at": "2026-03-01T12:00:00Z",
        "latency_ms": 20.0,
        "http_status": 200,
        "error_kind": None,
        "error": None,
        "region": "local",
    }
    assert shown_monitor["tests"][1]["state"] is None
    for first_state, second_state, expected in [
        (Status.UP, Status.UP, "up"),
        (Status.UP, Status.DEGRADED, "degraded"),
        (Status.DOWN, Status.DEGRADED, "down"),
        (Status.DOWN, None, "down"),
    ]:
        await set_state(engine, first, first_state)
        await set_state(engine, second, second_state)
        assert (await monitor())["status"] == expected, (first_state, second_state)
    tests = await client.get(f"/api/v1/monitors/{monitor_id}/tests", headers=user.headers)
    assert tests.json()["items"][0]["state"]["error_kind"] == "timeout"
    listed = await client.get("/api/v1/monitors", headers=user.headers)
    assert [m["status"] for m in listed.json()["items"]] == ["down"]


async def test_extras_are_shown_with_timings_picked_out(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine, two_tests: tuple[int, int, int]
) -> None:
    _, test_id, _ = two_tests
    extras = {
        "dns_ms": 0.5,
        "connect_ms": 1.5,
        "tls_ms": 4,
        "ttfb_ms": 9.25,
        "cert_days": 30.5,
        "attempts": 2,
        "first_error": "refused",
        "check_now_for": "eu",
        "redirects": 1,
    }
    odd = {"dns_ms": "soon", "attempts": True, "first_error": 5, "cert_days": None}
    await store(engine, [result(test_id, 0, extras=extras), result(test_id, 10, extras=odd)])
    [first, second] = (await results_of(client, user, test_id)).json()["items"]
    assert first["timings"] == {"dns_ms": 0.5, "connect_ms": 1.5, "tls_ms": 4.0, "ttfb_ms": 9.25}
    assert (
        first["cert_days"],
        first["attempts"],
        first["first_error"],
        first["check_now_for"],
    ) == (30.5, 2, "refused", "eu")
    assert first["extras"] == extras
    # Figures of an unexpected type are not picked out, but still shown as sent.
    assert (second["timings"], second["attempts"], second["first_error"]) == (None, None, None)
    assert second["extras"] == odd


async def test_timing_columns_are_put_back_into_the_extras(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine, two_tests: tuple[int, int, int]
) -> None:
    # As the processor stores them: the five figures in real columns (24 bits, so 7.2 is
    # 7.19999980926...), the rest as JSON; a TCP result has neither.
    _, test_id, _ = two_tests
    columns = {
        "dns_ms": 0.412,
        "connect_ms": 7.2,
        "tls_ms": 18.375,
        "ttfb_ms": 30.5,
        "cert_days": 61.55,
    }
    none = dict.fromkeys(columns)
    await store(
        engine,
        [
            result(test_id, 0, **columns, extras={"attempts": 2, "first_error": "refused"}),
            result(test_id, 10, **columns, extras=None),
            result(test_id, 20, **none, http_status=None, extras=None),
        ],
    )
    [retried, https, tcp] = (await results_of(client, user, test_id)).json()["items"]
    assert retried["timings"] == {
        k: columns[k] for k in ("dns_ms", "connect_ms", "tls_ms", "ttfb_ms")
    }
    assert (retried["cert_days"], retried["attempts"]) == (61.55, 2)
    assert retried["extras"] == {**columns, "attempts": 2, "first_error": "refused"}
    assert https["extras"] == columns and https["cert_days"] == 61.55
    assert tcp == shown(result(test_id, 20, **none, http_status=None, extras=None))
