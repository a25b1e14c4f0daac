"""GET /api/v1/system: the operator's view of the cell, for operators only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import aio_pika
import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from shared import amqp, names
from shared.config import ConfigError, Settings
from shared.tables import accounts, processor_stats, tests
from tests.api.cells import two_cells
from tests.api.helpers import PASSWORD, client_for, new_user, unique_email
from tests.helpers import eventually, short_name

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

SYSTEM = "/api/v1/system"


@asynccontextmanager
async def operator(database_url: str, **env: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an API whose operator is logged in (its headers carry the token)."""
    email = unique_email()
    async with client_for(
        database_url, VIGIL_ADMIN_EMAILS=f"other@example.com,{email}", **env
    ) as api:
        user = await new_user(api, email)
        api.headers.update(user.headers)
        yield api


async def test_anyone_else_is_refused(client) -> None:
    user = await new_user(client)
    assert (await client.get(SYSTEM, headers=user.headers)).status_code == 403
    assert (await client.get(SYSTEM)).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert (await client.get(SYSTEM, headers=bad)).status_code == 401


async def test_the_cell_its_accounts_and_tests(database_url, engine, client) -> None:
    user = await new_user(client)
    made = await client.post(
        "/api/v1/monitors",
        headers=user.headers,
        json={
            "name": "m",
            "tests": [
                {"kind": "http", "url": "https://example.com/"},
                {"kind": "http", "url": "https://example.org/"},
            ],
        },
    )
    assert made.status_code in (201, 202), made.text
    async with engine.begin() as conn:
        await conn.execute(
            update(tests).where(tests.c.id == made.json()["tests"][1]["id"]).values(enabled=False)
        )
    async with operator(database_url) as api:
        got = await api.get(SYSTEM)
    assert got.status_code == 200, got.text
    body = got.json()
    async with engine.connect() as conn:
        owners = await conn.scalar(
            select(func.count()).select_from(accounts).where(accounts.c.owner_id.is_(None))
        )
        enabled = await conn.scalar(select(func.count()).where(tests.c.enabled))
        total = await conn.scalar(select(func.count()).select_from(tests))
    assert body["cell"] == {"name": "a", "accounts": owners, "capacity": None, "closed": False}
    assert body["tests"] == {"enabled": enabled, "total": total}
    assert total - enabled >= 1
    assert body["cells"] == []  # no directory


async def test_queue_depths_come_from_the_broker(database_url, amqp_url) -> None:
    cell, other = short_name("c"), short_name("c")
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for name in (cell, other):
            await amqp.results_queue(channel, name)
        exchange = await channel.get_exchange(names.RESULTS_EXCHANGE)
        for _ in range(7):
            await exchange.publish(amqp.persistent(b"x"), routing_key=cell)
    async with operator(database_url, VIGIL_CELL=cell, VIGIL_AMQP_URL=amqp_url) as api:

        async def seven() -> dict | None:
            body = (await api.get(SYSTEM)).json()
            queues = {q["name"]: q for q in body["queues"]}
            results = queues.get(names.results_queue(cell))
            sampled = results and results["rate_in"] is not None
            return body if sampled and results["messages"] == 7 else None

        # The management API samples queues every few seconds.
        body = await eventually(seven, "the results queue to show 7 messages and a rate")
    listed = [q["name"] for q in body["queues"]]
    assert names.dead_letter(names.results_queue(cell)) in listed
    assert names.results_queue(other) not in listed  # another cell's
    assert body["queues_error"] is None
    [results] = [q for q in body["queues"] if q["name"] == names.results_queue(cell)]
    assert results["consumers"] == 0
    assert isinstance(results["rate_in"], float)  # the publish rate, as last sampled


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1",
        "http://guest:wrong@127.0.0.1:15672",
        "http://guest:guest@127.0.0.1:15672/not-the-api",
    ],
)
async def test_a_broker_api_away_or_refusing_leaves_the_rest(database_url, url) -> None:
    async with operator(database_url, VIGIL_RABBITMQ_MANAGEMENT_URL=url) as api:
        got = await api.get(SYSTEM)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["queues"] == []
    assert body["queues_error"]
    assert "wrong" not in body["queues_error"]  # never the credentials
    assert body["tests"]["total"] >= 0


@pytest.mark.parametrize("bad", ["ftp://host", "127.0.0.1:15672", "guest:guest@host"])
def test_a_bad_management_url_stops_start_up(bad) -> None:
    with pytest.raises(ConfigError, match="VIGIL_RABBITMQ_MANAGEMENT_URL") as caught:
        Settings.from_env({"VIGIL_RABBITMQ_MANAGEMENT_URL": bad})
    assert bad not in str(caught.value)


async def test_ingest_sums_the_running_processors(database_url, engine) -> None:
    cell = short_name("c")
    now = datetime.now(UTC)
    rows = [
        ("fresh-1", now, 120.0, now - timedelta(seconds=1)),
        ("fresh-2", now, 30.5, now - timedelta(seconds=3)),
        ("stopped", now - timedelta(minutes=5), 999.0, now - timedelta(minutes=5)),
    ]
    async with engine.begin() as conn:
        for processor, updated, rate, last in rows:
            await conn.execute(
                insert(processor_stats).values(
                    processor=f"{cell}-{processor}",
                    cell=cell,
                    started_at=now,
                    updated_at=updated,
                    results_total=10,
                    results_per_second=rate,
                    window_s=10,
                    last_result_at=last,
                )
            )
        await conn.execute(
            insert(processor_stats).values(  # another cell's
                processor=f"{cell}-elsewhere",
                cell=f"{cell}x",
                started_at=now,
                updated_at=now,
                results_total=10,
                results_per_second=5000.0,
                window_s=10,
                last_result_at=now,
            )
        )
    async with operator(database_url, VIGIL_CELL=cell) as api:
        body = (await api.get(SYSTEM)).json()
    ingest = body["ingest"]
    assert ingest["results_per_second"] == pytest.approx(150.5)
    assert (ingest["processors"], ingest["window_seconds"]) == (2, 10)
    assert datetime.fromisoformat(ingest["last_result_at"]) == rows[0][3]


async def test_ingest_without_any_processor(database_url) -> None:
    async with operator(database_url, VIGIL_CELL=short_name("c")) as api:
        ingest = (await api.get(SYSTEM)).json()["ingest"]
    assert ingest == {
        "results_per_second": 0.0,
        "window_seconds": 10,
        "last_result_at": None,
        "processors": 0,
    }


async def test_cells_from_the_directory(directory_url, database_url, other_cell_url) -> None:
    async with two_cells(directory_url, database_url, other_cell_url, capacity_a=3) as (
        directory,
        a,
        b,
    ):
        email = unique_email()
        signed = await a.client.post(
            "/api/v1/auth/signup", json={"email": email, "password": PASSWORD}
        )
        assert signed.status_code in (201, 202), signed.text
        await directory.set_open(b.name, False)
        async with client_for(
            database_url,
            VIGIL_CELL=a.name,
            VIGIL_ADMIN_EMAILS=email,
            VIGIL_DIRECTORY_URL=directory_url,
        ) as api:
            token = (
                await api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
            ).json()
            got = await api.get(
                SYSTEM, headers={"Authorization": f"Bearer {token['access_token']}"}
            )
    assert got.status_code == 200, got.text
    body = got.json()
    listed = {c["name"]: c for c in body["cells"]}
    assert listed[a.name] == {
        "name": a.name,
        "api_url": a.url,
        "accounts": 1,
        "capacity": 3,
        "closed": False,
    }
    assert listed[b.name] == {
        "name": b.name,
        "api_url": b.url,
        "accounts": 0,
        "capacity": 100,
        "closed": True,
    }
    assert (body["cell"]["name"], body["cell"]["capacity"]) == (a.name, 3)


async def test_a_directory_away_leaves_the_rest(database_url) -> None:
    email = unique_email()
    async with client_for(database_url) as api:
        await new_user(api, email)
    away = "postgresql://postgres@127.0.0.1:1/vigil_directory"
    async with client_for(database_url, VIGIL_ADMIN_EMAILS=email, VIGIL_DIRECTORY_URL=away) as api:
        token = (
            await api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        ).json()
        got = await api.get(SYSTEM, headers={"Authorization": f"Bearer {token['access_token']}"})
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["cells"], body["cells_error"]) == ([], "the directory database cannot be reached")
    assert body["cell"]["name"] == "a"
