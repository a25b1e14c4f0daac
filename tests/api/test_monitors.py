"""Creating, reading and listing monitors and their tests."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from shared.tables import tests
from tests.api.helpers import (
    User,
    create_monitor,
    http_test,
    new_user,
    running,
    settings,
    stored_counts,
)

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

MONITORS = "/api/v1/monitors"


async def test_create_stores_the_monitor_and_its_tests(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    body = {
        "name": "  shop  ",
        "tests": [
            http_test(),
            http_test(
                url="http://example.org:8080/health?full=1",
                method="HEAD",
                expected_status=[200, 204],
                interval_s=300,
                timeout_s=2.5,
                region="eu-west",
            ),
        ],
    }
    monitor = await create_monitor(client, user, **body)
    assert monitor["name"] == "shop"
    assert monitor["status"] == "pending"
    first, second = monitor["tests"]
    assert first == {
        "id": first["id"],
        "monitor_id": monitor["id"],
        "kind": "http",
        "region": "local",  # the cell's region by default
        "regions": ["local"],
        "interval_s": 60,
        "timeout_s": 10.0,
        "enabled": True,
        "config": {
            "url": "https://example.com/",
            "method": "GET",
            "expected_status": [200],
            "cert_warn_days": 14,
        },
        "alert_rule": None,  # the defaults
        "state": None,
        "ping_url": None,  # heartbeat tests only
        "heartbeat": None,
    }
    assert (second["region"], second["regions"]) == ("eu-west", ["eu-west"])
    assert second["interval_s"] == 300
    assert second["timeout_s"] == 2.5
    assert second["config"] == {
        "url": "http://example.org:8080/health?full=1",
        "method": "HEAD",
        "expected_status": [200, 204],
        "cert_warn_days": 14,
    }
    async with engine.connect() as conn:
        rows = (await conn.execute(select(tests).where(tests.c.monitor_id == monitor["id"]))).all()
    assert [(r.account_id, r.version, r.enabled) for r in rows] == [(user.id, 1, True)] * 2


async def test_get_answers_what_create_answered(client: httpx.AsyncClient, user: User) -> None:
    monitor = await create_monitor(client, user)
    response = await client.get(f"{MONITORS}/{monitor['id']}", headers=user.headers)
    assert response.status_code == 200
    assert response.json() == monitor


async def test_list_is_ordered_by_id_and_pages_follow_next(
    client: httpx.AsyncClient, user: User
) -> None:
    created = [
        await create_monitor(client, user, name=f"m{i}", tests=[http_test()]) for i in range(5)
    ]
    assert (await client.get(MONITORS, headers=user.headers)).json() == {
        "items": created,
        "next": None,
        "counts": {"down": 0, "pending": 5, "degraded": 0, "up": 0},  # none checked yet
    }
    seen, cursor = [], None
    for _ in range(10):  # five pages and a bit: a cursor that never ends fails the test
        params = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
        page = (await client.get(MONITORS, params=params, headers=user.headers)).json()
        seen.extend(page["items"])
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == created


async def test_a_full_page_without_more_has_no_next(client: httpx.AsyncClient, user: User) -> None:
    await create_monitor(client, user)
    page = (await client.get(MONITORS, params={"limit": 1}, headers=user.headers)).json()
    assert len(page["items"]) == 1
    assert page["next"] is None


async def test_a_new_account_has_no_monitors(client: httpx.AsyncClient, user: User) -> None:
    response = await client.get(MONITORS, headers=user.headers)
    assert response.json() == {
        "items": [],
        "next": None,
        "counts": {"down": 0, "pending": 0, "degraded": 0, "up": 0},
    }


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 201}, ["query", "limit"]),
        ({"limit": "ten"}, ["query", "limit"]),
        ({"cursor": "%%%"}, ["query", "cursor"]),
        ({"cursor": "WyJ4Il0"}, ["query", "cursor"]),  # ["x"]: base64 JSON, but not ours
        ({"cursor": "e30"}, ["query", "cursor"]),  # {}
        ({"cursor": "x" * 201}, ["query", "cursor"]),
    ],
)
async def test_bad_paging_is_422(
    client: httpx.AsyncClient, user: User, params: dict[str, object], loc: list[str]
) -> None:
    response = await client.get(MONITORS, params=params, headers=user.headers)
    assert response.status_code == 422, response.text
    assert loc in [error["loc"] for error in response.json()["detail"]]


@pytest.mark.parametrize("monitor_id", ["999999999999", "0", "-1", str(2**63), "abc"])
async def test_missing_or_impossible_monitor(
    client: httpx.AsyncClient, user: User, monitor_id: str
) -> None:
    response = await client.get(f"{MONITORS}/{monitor_id}", headers=user.headers)
    if monitor_id == "999999999999":
        assert response.status_code == 404
        assert response.json() == {"detail": "monitor not found"}
    else:
        assert response.status_code == 422  # not an id at all


async def test_tests_of_a_monitor_are_listed_and_added(
    client: httpx.AsyncClient, user: User
) -> None:
    monitor = await create_monitor(client, user)
    path = f"{MONITORS}/{monitor['id']}/tests"
    added = await client.post(
        path, json=http_test(url="https://example.net/", region="us-east"), headers=user.headers
    )
    assert added.status_code == 201, added.text
    test = added.json()
    assert test["monitor_id"] == monitor["id"]
    assert test["region"] == "us-east"
    assert test["config"]["url"] == "https://example.net/"
    listed = (await client.get(path, headers=user.headers)).json()
    assert listed == {"items": [*monitor["tests"], test], "next": None}


async def test_a_monitor_holds_at_most_twenty_tests(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    monitor = await create_monitor(client, user, name="full", tests=[http_test()] * 20)
    response = await client.post(
        f"{MONITORS}/{monitor['id']}/tests", json=http_test(), headers=user.headers
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "a monitor has at most 20 tests"}
    assert await stored_counts(engine, user.id) == (1, 20)


async def test_adding_to_a_missing_monitor_is_404(client: httpx.AsyncClient, user: User) -> None:
    response = await client.post(
        f"{MONITORS}/999999999/tests", json=http_test(), headers=user.headers
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "monitor not found"}


async def test_listing_costs_the_same_queries_for_one_monitor_or_many(database_url: str) -> None:
    app = create_app(settings(database_url))
    async with running(app) as api:
        statements: list[str] = []

        def count(conn: object, cursor: object, statement: str, *args: object) -> None:
            statements.append(statement)

        event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
        user = await new_user(api)
        costs = []
        for _ in range(2):
            await create_monitor(api, user, name="m", tests=[http_test(), http_test()])
            await create_monitor(api, user, name="m", tests=[http_test()] * 3)
            statements.clear()
            response = await api.get(MONITORS, headers=user.headers)
            assert response.status_code == 200
            costs.append(len(statements))
    assert len(response.json()["items"]) == 4
    # The token's account, the ETag's marks, the page of monitors with the counts, their
    # tests with states: four, however many monitors.
    assert costs == [4, 4], statements
