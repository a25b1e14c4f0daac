"""Sign-up policy and first run, forgotten passwords, account preferences, key last use."""

from __future__ import annotations

from collections.abc import Iterator

import aio_pika
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from api import security
from shared import names
from shared.delivery_message import decode_delivery
from shared.tables import accounts
from tests import services
from tests.api.helpers import PASSWORD, client_for, new_user, settings, unique_email
from tests.helpers import eventually, short_name

pytestmark = pytest.mark.integration
AUTH = "/api/v1/auth"


@pytest.fixture(scope="module")
def empty_cell() -> Iterator[str]:
    """A cell database with no account yet: a first run."""
    name, url = services.create_migrated_database("vigil_test_first")
    yield url
    services.drop_database_sync(name)


async def _signup(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post(f"{AUTH}/signup", json={"email": email, "password": PASSWORD})


async def test_invite_only_cell_takes_its_first_account_then_no_more(empty_cell: str) -> None:
    async with client_for(empty_cell, VIGIL_SIGNUP="invite") as client:
        policy = (await client.get(f"{AUTH}/signup-policy")).json()
        assert policy == {"mode": "invite", "domains": [], "first_run": True, "confirm": False}
        assert (await _signup(client, "operator@example.com")).status_code == 201
        assert (await client.get(f"{AUTH}/signup-policy")).json()["first_run"] is False
        refused = await _signup(client, "someone@example.com")
        assert refused.status_code == 403
        assert "invitation" in refused.json()["detail"]


async def test_domains_mode_takes_only_its_domains(database_url: str, engine: AsyncEngine) -> None:
    async with client_for(
        database_url, VIGIL_SIGNUP="domains", VIGIL_SIGNUP_DOMAINS="Example.com, @corp.example"
    ) as client:
        policy = (await client.get(f"{AUTH}/signup-policy")).json()
        assert policy["domains"] == ["corp.example", "example.com"]
        assert (await _signup(client, unique_email())).status_code in (201, 202)  # 201: first
        outsider = f"{short_name('x')}@elsewhere.example"
        refused = await _signup(client, outsider)
        assert refused.status_code == 403 and "example.com" in refused.json()["detail"]
    async with engine.connect() as conn:
        assert await conn.scalar(select(accounts.c.id).where(accounts.c.email == outsider)) is None


def test_a_bad_signup_mode_stops_start_up() -> None:
    from shared.config import ConfigError

    with pytest.raises(ConfigError, match="VIGIL_SIGNUP"):
        settings("postgresql://x/y", VIGIL_SIGNUP="sometimes")
    with pytest.raises(ConfigError, match="VIGIL_SIGNUP_DOMAINS"):
        settings("postgresql://x/y", VIGIL_SIGNUP="domains")


async def _reset_link(queue: aio_pika.abc.AbstractQueue) -> tuple[str, str]:
    message = await eventually(lambda: queue.get(fail=False), "the reset mail's delivery")
    await message.ack()
    d = decode_delivery(message.body)
    assert d.channel_kind == "email" and d.notification.kind == "password_reset"
    return d.config["to"][0], d.notification.url.rsplit("/reset/", 1)[1]


async def test_a_reset_link_works_once_and_unknown_emails_get_the_same_answer(
    database_url: str, amqp_url: str
) -> None:
    cell = short_name("r")
    async with client_for(
        database_url,
        VIGIL_AMQP_URL=amqp_url,
        VIGIL_CELL=cell,
        VIGIL_FRONTEND_URL="https://vigil.example",
    ) as client:
        user = await new_user(client)
        # The queue exists once the API has declared it; ask for an unknown address first.
        unknown = await client.post(f"{AUTH}/password-reset", json={"email": unique_email()})
        known = await client.post(f"{AUTH}/password-reset", json={"email": user.email})
        assert unknown.status_code == known.status_code == 202
        assert unknown.json() == known.json()
        conn = await aio_pika.connect(amqp_url)
        async with conn:
            channel = await conn.channel()
            queue = await channel.declare_queue(names.deliveries_queue(cell), passive=True)
            to, token = await _reset_link(queue)
            assert await queue.get(fail=False) is None  # the unknown address got no mail
            await queue.delete(if_unused=False, if_empty=False)
        assert to == user.email
        confirm = {"token": token, "password": "a brand new password"}
        assert (
            await client.post(f"{AUTH}/password-reset/confirm", json=confirm)
        ).status_code == 204
        again = await client.post(
            f"{AUTH}/password-reset/confirm", json={**confirm, "password": "yet another one"}
        )
        assert again.status_code == 401
        assert (await client.get(f"{AUTH}/me", headers=user.headers)).status_code == 401
        login = await client.post(
            f"{AUTH}/login", json={"email": user.email, "password": "a brand new password"}
        )
        assert login.status_code == 200


async def test_an_expired_or_forged_reset_link_is_refused(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    user = await new_user(client)
    async with engine.connect() as conn:
        hashed = await conn.scalar(select(accounts.c.password_hash).where(accounts.c.id == user.id))
    conf = settings("postgresql://x/y")
    expired = security.reset_token(user.id, hashed, conf, now=1_000_000)
    forged = security.reset_token(user.id, "not the hash", conf)
    for token in (expired, forged, "1.2", "x.y.z", "9" * 30 + ".1.abc"):
        answer = await client.post(
            f"{AUTH}/password-reset/confirm", json={"token": token, "password": "whatever it is"}
        )
        assert answer.status_code == 401, (token, answer.text)
    short = await client.post(
        f"{AUTH}/password-reset/confirm", json={"token": expired, "password": "short"}
    )
    assert short.status_code == 422 and short.json()["detail"][0]["loc"][-1] == "password"


async def test_password_reset_is_rate_limited(database_url: str) -> None:
    async with client_for(database_url, VIGIL_AUTH_RATE_PER_EMAIL="2") as client:
        email = unique_email()
        answers = [
            (await client.post(f"{AUTH}/password-reset", json={"email": email})).status_code
            for _ in range(4)
        ]
    assert answers[:2] == [202, 202] and 429 in answers[2:]


async def test_garbage_reset_requests_name_the_field(client: httpx.AsyncClient) -> None:
    for body, field in (
        ({"email": "not an email"}, "email"),
        ({}, "email"),
        ({"email": "a@example.com", "extra": 1}, "extra"),
    ):
        answer = await client.post(f"{AUTH}/password-reset", json=body)
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == field


async def test_time_zone_and_language_are_kept_on_the_account(client: httpx.AsyncClient) -> None:
    user = await new_user(client)
    me = (await client.get(f"{AUTH}/me", headers=user.headers)).json()
    assert (me["time_zone"], me["language"]) == ("UTC", "en")
    changed = await client.patch(
        f"{AUTH}/me", headers=user.headers, json={"time_zone": "Europe/Amsterdam"}
    )
    assert changed.status_code == 200 and changed.json()["language"] == "en"
    again = (await client.get(f"{AUTH}/me", headers=user.headers)).json()
    assert again["time_zone"] == "Europe/Amsterdam"
    for bad in (
        {"time_zone": "Mars/Olympus"},
        {"time_zone": ""},
        {"time_zone": 5},
        {"language": "xx"},
    ):
        refused = await client.patch(f"{AUTH}/me", headers=user.headers, json=bad)
        assert refused.status_code == 422, bad
        assert refused.json()["detail"][0]["loc"][-1] == next(iter(bad))
    assert (await client.get(f"{AUTH}/me", headers=user.headers)).json()[
        "time_zone"
    ] == "Europe/Amsterdam"


async def test_an_api_key_records_its_last_use(client: httpx.AsyncClient) -> None:
    user = await new_user(client)
    created = (
        await client.post(
            "/api/v1/api-keys", headers=user.headers, json={"name": "ci", "role": "viewer"}
        )
    ).json()
    listed = (await client.get("/api/v1/api-keys", headers=user.headers)).json()["items"]
    assert listed[0]["last_used_at"] is None
    key = {"Authorization": f"Bearer {created['key']}"}
    assert (await client.get("/api/v1/monitors", headers=key)).status_code == 200
    listed = (await client.get("/api/v1/api-keys", headers=user.headers)).json()["items"]
    assert listed[0]["last_used_at"] is not None
    assert (
        await client.post("/api/v1/monitors", headers=key, json={"name": "x", "tests": []})
    ).status_code == 403  # read-only
