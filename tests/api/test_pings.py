"""The ping endpoint against the real database and RabbitMQ: a ping is confirmed by the
broker before its 200, carries what the job sent, and garbage gets a clear answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aio_pika
import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import amqp, names
from shared.heartbeat import BODY_LIMIT
from shared.ping_codec import decode_pings
from shared.tables import heartbeats, monitors
from tests.api.helpers import client_for, new_user
from tests.helpers import short_name

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def cell(database_url: str, amqp_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    name = short_name("p")
    async with client_for(
        database_url,
        VIGIL_AMQP_URL=amqp_url,
        VIGIL_CELL=name,
        VIGIL_PING_URL="https://ping.example",
    ) as client:
        yield client, name


async def _heartbeat(client: httpx.AsyncClient, **fields: object) -> tuple[dict, dict]:
    user = await new_user(client)
    made = await client.post(
        "/api/v1/monitors",
        headers=user.headers,
        json={"name": "backup", "tests": [{"kind": "heartbeat", **fields}]},
    )
    assert made.status_code == 201, made.text
    return made.json()["tests"][0], user.headers


def _path(test: dict) -> str:
    assert test["ping_url"].startswith("https://ping.example/ping/")
    return test["ping_url"].removeprefix("https://ping.example")


async def _published(amqp_url: str, cell: str, count: int, timeout: float = 10) -> list:
    """The pings waiting in the cell's results queue (the processor's), `count` of them (or
    what came within `timeout` seconds)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await amqp.results_queue(channel, cell)
        found = []
        deadline = time.monotonic() + timeout
        while len(found) < count and time.monotonic() < deadline:
            message = await queue.get(fail=False)
            if message is None:
                await asyncio.sleep(0.05)
                continue
            assert message.type == names.PING_BATCH_TYPE
            batch, bad = decode_pings(message.body)
            assert bad == [] and batch.cell == cell
            found.extend(batch.pings)
            await message.ack()
    return found


async def test_a_ping_is_in_the_broker_before_its_200_with_what_the_job_sent(
    cell: tuple[httpx.AsyncClient, str], amqp_url: str
) -> None:
    client, name = cell
    test, _ = await _heartbeat(client, interval_s=300, grace_s=60)
    assert test["heartbeat"]["status"] == "new" and test["region"] == "local"
    path = _path(test)
    big = b"x" * (BODY_LIMIT + 5000)
    answers = [
        await client.get(path, headers={"User-Agent": "cron/1"}),
        await client.post(path + "/start?rid=run-1", content=b"starting"),
        await client.post(path + "/0?rid=run-1", content=big),
        await client.head(path + "/log"),
        await client.post(path + "/fail", content="bad\0bytes\xff".encode("latin-1")),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert answer.headers["ping-body-limit"] == str(BODY_LIMIT)
        assert answer.headers["content-type"].startswith("text/plain")
    assert answers[0].text == "OK" and answers[3].text == ""
    pings = await _published(amqp_url, name, 5)
    assert [(p.kind, p.exit_status, p.rid) for p in pings] == [
        ("success", None, None),
        ("start", None, "run-1"),
        ("success", 0, "run-1"),
        ("log", None, None),
        ("fail", None, None),
    ]
    assert {p.test_id for p in pings} == {test["id"]}
    assert pings[0].user_agent == "cron/1" and pings[0].method == "GET"
    assert pings[1].body == b"starting"
    assert pings[2].body == big[:BODY_LIMIT]  # cut, and the ping still counts
    assert pings[0].at_ms <= pings[1].at_ms <= pings[4].at_ms


async def test_unknown_and_malformed_tokens_get_the_same_404(
    cell: tuple[httpx.AsyncClient, str],
) -> None:
    client, _ = cell
    unknown = await client.get("/ping/AAAAAAAAAAAAAAAAAAAAAA")
    malformed = await client.get("/ping/%00not-a-token%20at-all" + "x" * 300)
    assert unknown.status_code == malformed.status_code == 404
    assert unknown.text == malformed.text and unknown.headers == malformed.headers


async def test_garbage_pings_are_refused_clearly(
    cell: tuple[httpx.AsyncClient, str], amqp_url: str
) -> None:
    client, name = cell
    test, _ = await _heartbeat(client)
    path = _path(test)
    assert (await client.get(path + "/256")).status_code == 400
    assert "exit status" in (await client.get(path + "/99999")).text
    assert (await client.get(path + "/-1")).status_code == 404
    assert (await client.get(path + "/nonsense")).status_code == 404
    assert (await client.get(path + "?rid=" + "r" * 65)).status_code == 400
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        refused = await client.request(method, path)
        assert refused.status_code == 405 and refused.headers["allow"] == "GET, POST, HEAD"
    assert await _published(amqp_url, name, 1, timeout=1) == []  # nothing of it went on


async def test_a_flood_on_one_token_gets_429_and_the_others_go_on(
    cell: tuple[httpx.AsyncClient, str], amqp_url: str
) -> None:
    client, name = cell
    flooded, _ = await _heartbeat(client)
    quiet, _ = await _heartbeat(client)
    # All at once, as a broken job's loop would: the bucket holds 5, refilling 5 a second.
    answers = await asyncio.gather(*(client.get(_path(flooded)) for _ in range(12)))
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) in (5, 6) and statuses.count(429) >= 6, statuses
    limited = next(a for a in answers if a.status_code == 429)
    assert int(limited.headers["retry-after"]) >= 1 and "too many" in limited.text
    assert (await client.get(_path(quiet))).status_code == 200
    await _published(amqp_url, name, statuses.count(200) + 1)


async def test_a_regenerated_token_retires_the_old_url(
    cell: tuple[httpx.AsyncClient, str], amqp_url: str
) -> None:
    client, name = cell
    test, headers = await _heartbeat(client)
    old = _path(test)
    renewed = await client.post(
        f"/api/v1/monitors/{test['monitor_id']}/tests/{test['id']}/ping-token", headers=headers
    )
    assert renewed.status_code == 200, renewed.text
    assert (await client.get(old)).status_code == 404
    assert (await client.get(_path(renewed.json()))).status_code == 200
    await _published(amqp_url, name, 1)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"cron": "61 * * * *"}, "cron"),
        ({"cron": "every day"}, "cron"),
        ({"cron": "0 2 * * *", "tz": "Europe/Atlantis"}, "tz"),
        ({"tz": "../etc/passwd"}, "tz"),
        ({"grace_s": 0}, "grace_s"),
        ({"grace_s": "60"}, "grace_s"),
        ({"interval_s": 0}, "interval_s"),
        ({"url": "https://example.com/"}, "url"),
        ({"interval_s": 400 * 86400}, "interval_s"),
    ],
)
async def test_a_bad_schedule_is_422_naming_the_field_and_stores_nothing(
    cell: tuple[httpx.AsyncClient, str], engine: AsyncEngine, fields: dict, field: str
) -> None:
    client, _ = cell
    user = await new_user(client)
    async with engine.connect() as conn:
        before = await conn.scalar(select(func.count()).select_from(heartbeats))
    refused = await client.post(
        "/api/v1/monitors",
        headers=user.headers,
        json={"name": "backup", "tests": [{"kind": "heartbeat", **fields}]},
    )
    assert refused.status_code == 422, refused.text
    assert ["body", "tests", 0, field] in [e["loc"] for e in refused.json()["detail"]]
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(heartbeats)) == before
        assert (
            await conn.scalar(
                select(func.count()).select_from(monitors).where(monitors.c.account_id == user.id)
            )
            == 0
        )


async def test_a_check_refuses_a_heartbeat_schedule(cell: tuple[httpx.AsyncClient, str]) -> None:
    client, _ = cell
    user = await new_user(client)
    refused = await client.post(
        "/api/v1/monitors",
        headers=user.headers,
        json={
            "name": "site",
            "tests": [{"kind": "http", "url": "https://example.com/", "cron": "* * * * *"}],
        },
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "tests", 0, "cron"]


async def test_a_heartbeat_is_edited_paused_and_resumed_like_any_test(
    cell: tuple[httpx.AsyncClient, str], engine: AsyncEngine
) -> None:
    client, _ = cell
    test, headers = await _heartbeat(client, interval_s=600, grace_s=60)
    url = f"/api/v1/monitors/{test['monitor_id']}/tests/{test['id']}"
    async with engine.begin() as conn:  # as if it had been pinged: up, with deadlines
        await conn.execute(
            heartbeats.update()
            .where(heartbeats.c.test_id == test["id"])
            .values(
                state="up",
                last_success_at=func.now(),
                late_at=func.now() + text("interval '1 h'"),
                due_at=func.now() + text("interval '2 h'"),
            )
        )
    paused = (await client.patch(url, headers=headers, json={"enabled": False})).json()
    assert paused["heartbeat"]["status"] == "paused" and paused["heartbeat"]["down_at"] is None
    resumed = (await client.patch(url, headers=headers, json={"enabled": True})).json()
    assert resumed["heartbeat"]["status"] == "new"  # the next ping arms it again
    changed = await client.patch(
        url, headers=headers, json={"cron": "0 4 * * *", "tz": "Europe/Amsterdam", "grace_s": 120}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["config"] == {
        "cron": "0 4 * * *",
        "tz": "Europe/Amsterdam",
        "grace_s": 120,
    }
    refused = await client.patch(url, headers=headers, json={"tz": "Nowhere/Atlantis"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "tz"
    kept = (await client.get(url, headers=headers)).json()
    assert kept["config"]["tz"] == "Europe/Amsterdam"  # nothing of the bad patch stored
    assert (await client.delete(url, headers=headers)).status_code == 204
    assert (await client.get(_path(test))).status_code == 404
