"""Refresh tokens, password change, log-out, and /auth/me."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.tables import refresh_tokens
from tests.api.helpers import PASSWORD, User, assert_invalid, send_json

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
PASSWORD_PATH = "/api/v1/auth/password"
ME = "/api/v1/auth/me"


async def _login(client: httpx.AsyncClient, user: User, password: str = PASSWORD) -> dict:
    response = await client.post(LOGIN, json={"email": user.email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_login_gives_a_refresh_token_stored_only_as_a_hash(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    tokens = await _login(client, user)
    assert tokens["refresh_token"].startswith("vr_")
    assert tokens["refresh_expires_in"] == 30 * 86400
    async with engine.connect() as conn:
        stored = (
            (
                await conn.execute(
                    select(refresh_tokens.c.token_hash).where(refresh_tokens.c.login_id == user.id)
                )
            )
            .scalars()
            .all()
        )
    assert stored and all(tokens["refresh_token"].encode() not in h for h in stored)


async def test_a_refresh_token_works_once(client: httpx.AsyncClient, user: User) -> None:
    tokens = await _login(client, user)
    renewed = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert renewed.status_code == 200, renewed.text
    fresh = renewed.json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert (await client.get(ME, headers=_bearer(fresh["access_token"]))).status_code == 200
    again = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401
    assert (
        await client.post(REFRESH, json={"refresh_token": fresh["refresh_token"]})
    ).status_code == 200


async def test_logout_forgets_the_refresh_token(client: httpx.AsyncClient, user: User) -> None:
    tokens = await _login(client, user)
    body = {"refresh_token": tokens["refresh_token"]}
    assert (await client.post("/api/v1/auth/logout", json=body)).status_code == 204
    assert (await client.post(REFRESH, json=body)).status_code == 401


async def test_me_names_the_caller(client: httpx.AsyncClient, user: User) -> None:
    me = (await client.get(ME, headers=user.headers)).json()
    assert me == {
        "id": user.id,
        "email": user.email,
        "role": "owner",
        "account_id": user.id,
        "created_at": me["created_at"],
        "language": "en",
        "time_zone": "UTC",
        "is_admin": False,
    }


async def test_the_notification_language_is_chosen_and_garbage_refused(
    client: httpx.AsyncClient, user: User
) -> None:
    changed = await client.patch(ME, headers=user.headers, json={"language": "nl"})
    assert changed.status_code == 200 and changed.json()["language"] == "nl"
    assert (await client.get(ME, headers=user.headers)).json()["language"] == "nl"
    for garbage in ({"language": "klingon"}, {"language": 7}, {}, {"language": "nl", "x": 1}):
        response = await client.patch(ME, headers=user.headers, json=garbage)
        assert response.status_code == 422, (garbage, response.text)
    assert_invalid(
        await client.patch(ME, headers=user.headers, json={"language": "xx"}), ["body", "language"]
    )
    assert (await client.patch(ME, json={"language": "de"})).status_code == 401


async def test_password_change_revokes_every_older_token(
    client: httpx.AsyncClient, user: User
) -> None:
    old = await _login(client, user)
    wrong = await client.post(
        PASSWORD_PATH,
        headers=user.headers,
        json={"current_password": "not it", "new_password": "a brand new one"},
    )
    assert wrong.status_code == 401
    changed = await client.post(
        PASSWORD_PATH,
        headers=user.headers,
        json={"current_password": PASSWORD, "new_password": "a brand new one"},
    )
    assert changed.status_code == 200, changed.text
    fresh = changed.json()
    assert (await client.get(ME, headers=_bearer(fresh["access_token"]))).status_code == 200
    refused = await client.get(ME, headers=_bearer(old["access_token"]))
    assert (refused.status_code, refused.json()) == (401, {"detail": "token revoked"})
    assert (
        await client.post(REFRESH, json={"refresh_token": old["refresh_token"]})
    ).status_code == 401
    assert (
        await client.post(LOGIN, json={"email": user.email, "password": PASSWORD})
    ).status_code == 401
    await _login(client, user, "a brand new one")


async def test_bad_token_bodies_are_422_naming_the_field(
    client: httpx.AsyncClient, user: User
) -> None:
    assert_invalid(
        await send_json(client, "POST", REFRESH, {"refresh_token": "x" * 101}),
        ["body", "refresh_token"],
    )
    assert_invalid(
        await send_json(client, "POST", REFRESH, {"refresh_token": 5}), ["body", "refresh_token"]
    )
    assert_invalid(
        await send_json(
            client,
            "POST",
            PASSWORD_PATH,
            {"current_password": PASSWORD, "new_password": "short"},
            user.headers,
        ),
        ["body", "new_password"],
    )
    response = await send_json(
        client,
        "POST",
        PASSWORD_PATH,
        {"current_password": "\ud800", "new_password": "long enough"},
        user.headers,
    )
    assert_invalid(response, ["body", "current_password"])
    assert "\\ud800" not in response.text  # passwords are never echoed
