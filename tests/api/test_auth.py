"""Sign-up, log-in, and which tokens the API accepts."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import jwt
import pytest
from argon2 import PasswordHasher
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from api import security
from shared.tables import accounts
from tests.api.helpers import (
    PASSWORD,
    SECRET,
    User,
    assert_invalid,
    client_for,
    new_user,
    send_json,
    settings,
    unique_email,
)
from tests.api.test_team import invite_member

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

SIGNUP = "/api/v1/auth/signup"
LOGIN = "/api/v1/auth/login"
PROTECTED = "/api/v1/monitors"


async def test_signup_stores_a_lower_cased_email_and_an_argon2_hash(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await new_user(client)  # not the cell's first account, which is made with a 201
    email = unique_email()
    response = await client.post(SIGNUP, json={"email": email.upper(), "password": PASSWORD})
    assert response.status_code == 202, response.text
    assert set(response.json()) == {"detail"}
    async with engine.connect() as conn:
        stored = await conn.scalar(
            select(accounts.c.password_hash).where(accounts.c.email == email)
        )
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


async def test_signup_of_a_taken_address_answers_as_a_free_one_and_changes_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    user = await new_user(client)
    query = select(accounts.c.password_hash).where(accounts.c.email == user.email)
    async with engine.connect() as conn:
        before = await conn.scalar(query)
    free = await client.post(SIGNUP, json={"email": unique_email(), "password": PASSWORD})
    again = await client.post(
        SIGNUP, json={"email": user.email.title(), "password": "another one!"}
    )
    assert again.status_code == free.status_code == 202
    assert again.json() == free.json()
    async with engine.connect() as conn:
        assert await conn.scalar(query) == before
    assert (
        await client.post(LOGIN, json={"email": user.email, "password": "another one!"})
    ).status_code == 401


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, ["body", "email"]),
        ({"email": "a@@example.com", "password": PASSWORD}, ["body", "email"]),
        ({"email": 42, "password": PASSWORD}, ["body", "email"]),
        ({"password": PASSWORD}, ["body", "email"]),
        ({"email": "@EMAIL@", "password": "short"}, ["body", "password"]),
        ({"email": "@EMAIL@", "password": "x" * 257}, ["body", "password"]),
        ({"email": "@EMAIL@", "password": 12345678}, ["body", "password"]),
        ({"email": "@EMAIL@", "password": "\ud800" * 8}, ["body", "password"]),
        ({"email": "@EMAIL@"}, ["body", "password"]),
        ({"email": "@EMAIL@", "password": PASSWORD, "admin": True}, ["body", "admin"]),
        ([], ["body"]),
    ],
)
async def test_bad_signup_is_422_naming_the_field(
    client: httpx.AsyncClient, body: object, loc: list[str]
) -> None:
    if isinstance(body, dict) and body.get("email") == "@EMAIL@":
        body["email"] = unique_email()
    assert_invalid(await send_json(client, "POST", SIGNUP, body), loc)


async def test_signup_with_a_non_json_body_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        SIGNUP, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


async def test_login_gives_a_bearer_token_that_opens_the_api(
    client: httpx.AsyncClient, user: User
) -> None:
    response = await client.post(LOGIN, json={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == str(user.id)
    assert claims["cell"] == "a"
    assert claims["exp"] - claims["iat"] == 3600
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await client.get(PROTECTED, headers=headers)).status_code == 200


@pytest.mark.parametrize("password", ["wrong password", "", PASSWORD.upper()])
async def test_wrong_password_is_401(client: httpx.AsyncClient, user: User, password: str) -> None:
    response = await client.post(LOGIN, json={"email": user.email, "password": password})
    assert response.status_code == 401
    assert response.json() == {"detail": "wrong email or password"}


async def test_unknown_email_is_the_same_401(client: httpx.AsyncClient) -> None:
    response = await client.post(LOGIN, json={"email": unique_email(), "password": PASSWORD})
    assert response.status_code == 401
    assert response.json() == {"detail": "wrong email or password"}


TEST_SETTINGS = settings("postgresql://unused/x")


def _sign(claims: dict[str, object], secret: str = SECRET, algorithm: str = "HS256") -> str:
    key = security.signing_key(settings("postgresql://unused/x", VIGIL_SECRET_KEY=secret))
    return jwt.encode(claims, key, algorithm=algorithm)


def _claims(user: User, **changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {"sub": str(user.id), "cell": "a", "iat": now, "exp": now + 600}
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_token_signed_here_by_hand_is_accepted(
    client: httpx.AsyncClient, user: User
) -> None:
    # The control for the refusals below: they differ from this token in one thing only.
    response = await client.get(PROTECTED, headers=_bearer(_sign(_claims(user))))
    assert response.status_code == 200


def _other_cell(user: User) -> str:
    return security.issue_token(user.id, settings("postgresql://unused/x", VIGIL_CELL="b"))


def _expired(user: User) -> str:
    return security.issue_token(user.id, TEST_SETTINGS, now=int(time.time()) - 7200)


def _hs512(user: User) -> str:
    # A valid signature by another algorithm than the one the API pins.
    key = security.signing_key(TEST_SETTINGS) * 2
    return jwt.encode(_claims(user), key, algorithm="HS512")


BAD_TOKENS: dict[str, Callable[[User], str]] = {
    "garbage": lambda user: "not.a.token",
    "other cell": _other_cell,
    "expired": _expired,
    "other secret": lambda user: _sign(_claims(user), secret="another-secret-" + "y" * 32),
    "unsigned": lambda user: jwt.encode(_claims(user), key=None, algorithm="none"),
    "HS512": _hs512,
    "no cell claim": lambda user: _sign(_claims(user, cell=None)),
    "no exp claim": lambda user: _sign(_claims(user, exp=None)),
    "no sub claim": lambda user: _sign(_claims(user, sub=None)),
    "sub not an id": lambda user: _sign(_claims(user, sub="admin")),
    "sub too large": lambda user: _sign(_claims(user, sub=str(2**64))),
    "no such account": lambda user: _sign(_claims(user, sub=str(2**62))),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
async def test_bad_tokens_are_401_with_a_bearer_challenge(
    client: httpx.AsyncClient, user: User, case: str
) -> None:
    response = await client.get(PROTECTED, headers=_bearer(BAD_TOKENS[case](user)))
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["no header", "empty bearer", "basic scheme"],
)
async def test_no_bearer_token_is_401(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.get(PROTECTED, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"detail": "not authenticated"}


async def test_a_token_of_another_cell_says_so(client: httpx.AsyncClient, user: User) -> None:
    response = await client.get(PROTECTED, headers=_bearer(_other_cell(user)))
    assert response.json() == {"detail": "token of another cell"}


async def test_an_expired_token_says_so(client: httpx.AsyncClient, user: User) -> None:
    response = await client.get(PROTECTED, headers=_bearer(_expired(user)))
    assert response.json() == {"detail": "token expired"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/monitors"),
        ("POST", "/api/v1/monitors"),
        ("GET", "/api/v1/monitors/1"),
        ("GET", "/api/v1/monitors/1/tests"),
        ("POST", "/api/v1/monitors/1/tests"),
        ("GET", "/api/v1/tests/1/results"),
    ],
)
async def test_every_resource_needs_a_token(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, json={})
    assert response.status_code == 401


async def test_login_upgrades_a_hash_made_with_weaker_parameters(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    email = unique_email()
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    async with engine.begin() as conn:
        await conn.execute(insert(accounts).values(email=email, password_hash=weak))
    response = await client.post(LOGIN, json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    async with engine.connect() as conn:
        stored = await conn.scalar(
            select(accounts.c.password_hash).where(accounts.c.email == email)
        )
    assert stored != weak
    assert not security.needs_rehash(stored)
    assert security.verify_password(stored, PASSWORD)


async def test_me_says_whether_the_caller_is_an_admin_as_the_admin_routes_decide(
    database_url: str,
) -> None:
    operator = unique_email()
    async with client_for(
        database_url,
        VIGIL_ADMIN_EMAILS=f"x@example.com,{operator.upper()}",
    ) as client:
        admin = await new_user(client, operator)
        member = await invite_member(client, admin, "viewer")  # acts in the operator's account
        stranger = await new_user(client)
        for caller, expected in ((admin, True), (member, True), (stranger, False)):
            me = await client.get("/api/v1/auth/me", headers=caller.headers)
            assert me.status_code == 200, me.text
            assert me.json()["is_admin"] is expected, caller.email
            nodes = await client.get("/api/v1/nodes", headers=caller.headers)
            assert nodes.status_code == (200 if expected else 403), caller.email
        changed = await client.patch(
            "/api/v1/auth/me", headers=admin.headers, json={"language": "de"}
        )
        assert changed.json()["is_admin"] is True
