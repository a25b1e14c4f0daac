"""Changing and deleting monitors and tests; filters; per-account quotas."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.tables import accounts, tests
from tests.api.helpers import (
    User,
    assert_invalid,
    client_for,
    create_monitor,
    http_test,
    new_user,
    send_json,
    stored_counts,
)

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

MONITORS = "/api/v1/monitors"


async def _version(engine: AsyncEngine, test_id: int) -> tuple[int, object]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(tests.c.version, tests.c.updated_at).where(tests.c.id == test_id)
            )
        ).one()
    return row.version, row.updated_at


async def test_rename_and_delete_a_monitor(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    monitor = await create_monitor(client, user)
    path = f"{MONITORS}/{monitor['id']}"
    renamed = await client.patch(path, json={"name": " shop "}, headers=user.headers)
    assert renamed.status_code == 200
    assert renamed.json() == {**monitor, "name": "shop"}
    assert (await client.delete(path, headers=user.headers)).status_code == 204
    assert (await client.get(path, headers=user.headers)).status_code == 404
    assert (await client.delete(path, headers=user.headers)).status_code == 404
    assert await stored_counts(engine, user.id) == (0, 0)


async def test_patching_a_test_bumps_its_version(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    monitor = await create_monitor(client, user)
    test = monitor["tests"][0]
    path = f"{MONITORS}/{monitor['id']}/tests/{test['id']}"
    assert (await client.get(path, headers=user.headers)).json() == test
    before = await _version(engine, test["id"])
    response = await client.patch(
        path, json={"interval_s": 120, "method": "HEAD", "enabled": False}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["interval_s"], changed["enabled"]) == (120, False)
    assert changed["config"] == {**test["config"], "method": "HEAD"}
    after = await _version(engine, test["id"])
    assert after[0] == before[0] + 1 and after[1] > before[1]


async def test_a_patch_is_validated_as_the_whole_test(
    client: httpx.AsyncClient, user: User
) -> None:
    monitor = await create_monitor(client, user)
    path = f"{MONITORS}/{monitor['id']}/tests/{monitor['tests'][0]['id']}"
    for body, loc in [
        ({"timeout_s": 60.0}, ["body", "timeout_s"]),  # not shorter than the 60 s interval
        ({"interval_s": 20, "timeout_s": 5}, ["body", "interval_s"]),  # below the minimum
        ({"url": "ftp://x/"}, ["body", "url"]),
        ({"url": "http://127.0.0.1/"}, ["body", "url"]),
        ({"kind": "http"}, ["body", "kind"]),  # the kind stays
        ({"expected_status": []}, ["body", "expected_status"]),
        ({"enabled": "yes"}, ["body", "enabled"]),
    ]:
        assert_invalid(await send_json(client, "PATCH", path, body, user.headers), loc)


async def test_delete_a_test(client: httpx.AsyncClient, user: User, engine: AsyncEngine) -> None:
    monitor = await create_monitor(client, user, name="two", tests=[http_test(), http_test()])
    first = monitor["tests"][0]["id"]
    path = f"{MONITORS}/{monitor['id']}/tests/{first}"
    assert (await client.delete(path, headers=user.headers)).status_code == 204
    assert (await client.get(path, headers=user.headers)).status_code == 404
    assert await stored_counts(engine, user.id) == (1, 1)


async def test_a_test_of_another_monitor_is_not_found_here(
    client: httpx.AsyncClient, user: User
) -> None:
    one, two = await create_monitor(client, user), await create_monitor(client, user)
    path = f"{MONITORS}/{one['id']}/tests/{two['tests'][0]['id']}"
    assert (await client.get(path, headers=user.headers)).status_code == 404


async def test_list_filters_by_name(client: httpx.AsyncClient, user: User) -> None:
    shop = await create_monitor(client, user, name="Shop 100%", tests=[http_test()])
    await create_monitor(client, user, name="Blog", tests=[http_test()])
    for text in ("shop", "100%"):
        found = (await client.get(MONITORS, params={"name": text}, headers=user.headers)).json()
        assert [m["id"] for m in found["items"]] == [shop["id"]]
    none = (await client.get(MONITORS, params={"name": "_"}, headers=user.headers)).json()
    assert none["items"] == []
    bad = await client.get(MONITORS, params={"name": "a\x00"}, headers=user.headers)
    assert bad.status_code == 422


async def test_the_test_quota_holds(database_url: str, engine: AsyncEngine) -> None:
    async with client_for(database_url, VIGIL_MAX_TESTS="3") as api:
        user = await new_user(api)
        monitor = await create_monitor(api, user, name="m", tests=[http_test()] * 3)
        response = await api.post(
            f"{MONITORS}/{monitor['id']}/tests", json=http_test(), headers=user.headers
        )
        assert response.status_code == 409
        assert response.json()["detail"].startswith("quota: this account may have at most 3")
        too_many = await api.post(
            MONITORS, json={"name": "x", "tests": [http_test()]}, headers=user.headers
        )
        assert too_many.status_code == 409
        # The operator raises this account's own quota and lowers its minimum interval.
        async with engine.begin() as conn:
            await conn.execute(
                update(accounts)
                .where(accounts.c.id == user.id)
                .values(max_tests=4, min_interval_s=5)
            )
        more = await api.post(
            f"{MONITORS}/{monitor['id']}/tests",
            json=http_test(interval_s=5, timeout_s=1),
            headers=user.headers,
        )
        assert more.status_code == 201, more.text


async def test_the_certificate_mark_is_set_changed_and_turned_off(
    client: httpx.AsyncClient, user: User
) -> None:
    monitor = await create_monitor(
        client,
        user,
        name="tls",
        tests=[
            {"kind": "tls", "url": "tls://example.com", "cert_warn_days": 30},
            {"kind": "tcp", "url": "tcp://example.com:25"},
        ],
    )
    tls, tcp = monitor["tests"]
    assert tls["config"]["cert_warn_days"] == 30
    assert "cert_warn_days" not in tcp["config"]  # no certificate to watch
    path = f"/api/v1/monitors/{monitor['id']}/tests/{tls['id']}"
    changed = await client.patch(path, json={"cert_warn_days": 0}, headers=user.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["config"]["cert_warn_days"] == 0
    refused = await client.patch(path, json={"cert_warn_days": 400}, headers=user.headers)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == [
        "body",
        "cert_warn_days",
    ]
