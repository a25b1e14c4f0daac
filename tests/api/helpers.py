"""Small helpers shared by the API tests: settings, a running app, accounts, bodies."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from shared.config import Settings
from shared.tables import monitors, tests

SECRET = "test-secret-that-is-long-enough-for-hs256"
PASSWORD = "correct horse battery"
SVG = "{http://www.w3.org/2000/svg}"


def settings(database_url: str, **env: str) -> Settings:
    """Settings built from explicit values only, never from the process environment."""
    base = {
        "VIGIL_DATABASE_URL": database_url,
        "VIGIL_CELL": "a",
        "VIGIL_REGION": "local",
        "VIGIL_SECRET_KEY": SECRET,
        "VIGIL_MIN_INTERVAL": "30",
        "VIGIL_ALLOW_PRIVATE_TARGETS": "false",
        "VIGIL_TOKEN_TTL": "3600",
        "VIGIL_LOG_FORMAT": "text",
        # The session's client signs up hundreds of accounts from one address.
        "VIGIL_AUTH_RATE_PER_IP": "0",
        "VIGIL_AUTH_RATE_PER_EMAIL": "0",
        # Accounts made at sign-up, no mailed link to follow: tests/api/test_signup asks
        # for the link.
        "VIGIL_SIGNUP_CONFIRM": "false",
        # No broker unless a test asks for one: a channel test answers 503, fast.
        "VIGIL_AMQP_URL": "amqp://guest:guest@127.0.0.1:1/",
    }
    return Settings.from_env({**base, **env})


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app, with its lifespan (engine open, then disposed) around it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            yield client


@asynccontextmanager
async def client_for(database_url: str, **env: str) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_app(settings(database_url, **env))) as client:
        yield client


@dataclass(frozen=True)
class User:
    id: int
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def unique_email() -> str:
    return f"user-{uuid.uuid4().hex}@example.com"


async def new_user(client: httpx.AsyncClient, email: str | None = None) -> User:
    email = email or unique_email()
    signed_up = await client.post(
        "/api/v1/auth/signup", json={"email": email, "password": PASSWORD}
    )
    assert signed_up.status_code in (201, 202), signed_up.text  # 201: the cell's first
    logged_in = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert logged_in.status_code == 200, logged_in.text
    token = logged_in.json()["access_token"]
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    return User(me.json()["id"], email, token)


def http_test(**fields: Any) -> dict[str, Any]:
    return {"kind": "http", "url": "https://example.com/", **fields}


def monitor_body(name: str = "site", **test_fields: Any) -> dict[str, Any]:
    return {"name": name, "tests": [http_test(**test_fields)]}


async def create_monitor(client: httpx.AsyncClient, user: User, **body: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/monitors", json=body or monitor_body(), headers=user.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def send_json(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    body: Any,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Send any body json.dumps can write, even what httpx refuses (NaN, lone surrogates)."""
    return await client.request(
        method,
        path,
        content=json.dumps(body),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def badge_words(response: httpx.Response) -> list[str | None]:
    """The texts of an SVG badge, once the answer is checked to be one."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    root = ElementTree.fromstring(response.content)  # valid XML, an svg root
    assert root.tag == f"{SVG}svg"
    return [t.text for t in root.iter(f"{SVG}text")]


def assert_invalid(response: httpx.Response, loc: list[str | int]) -> None:
    """A 422 whose errors include one at exactly this location."""
    assert response.status_code == 422, response.text
    locs = [error["loc"] for error in response.json()["detail"]]
    assert loc in locs, locs


async def stored_counts(engine: AsyncEngine, account_id: int) -> tuple[int, int]:
    """(monitors, tests) stored for the account."""
    async with engine.connect() as conn:
        n_monitors = await conn.scalar(
            select(func.count()).where(monitors.c.account_id == account_id)
        )
        n_tests = await conn.scalar(select(func.count()).where(tests.c.account_id == account_id))
    return n_monitors or 0, n_tests or 0
