"""Two cells behind one directory, as API apps in this process, for the cell tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from api.app import create_app
from shared import db
from shared.directory import Directory
from tests.api.helpers import PASSWORD, running, settings, unique_email
from tests.helpers import short_name


@dataclass
class CellApi:
    name: str
    url: str
    database_url: str
    client: httpx.AsyncClient
    app: FastAPI


@asynccontextmanager
async def two_cells(
    directory_url: str,
    a_url: str,
    b_url: str,
    capacity_a: int = 100,
    capacity_b: int = 100,
    **env: str,
) -> AsyncIterator[tuple[Directory, CellApi, CellApi]]:
    """Cells with fresh names in the directory (closed again afterwards), and their APIs
    (with `env` on top of the tests' settings)."""
    engine = db.engine(directory_url, pool_size=2)
    directory = Directory(engine)
    for cell in await directory.cells():  # earlier tests' cells take no more accounts
        await directory.set_open(cell.name, False)
    names = short_name("a"), short_name("b")
    cells = []
    async with (
        _cell(directory, names[0], a_url, capacity_a, directory_url, env) as a,
        _cell(directory, names[1], b_url, capacity_b, directory_url, env) as b,
    ):
        cells = [a, b]
        try:
            yield directory, a, b
        finally:
            for cell in cells:
                await directory.set_open(cell.name, False)
            await engine.dispose()


@asynccontextmanager
async def _cell(
    directory: Directory,
    name: str,
    database_url: str,
    capacity: int,
    directory_url: str,
    env: dict[str, str],
) -> AsyncIterator[CellApi]:
    url = f"http://{name}.test"
    await directory.add_cell(name, url, database_url, capacity)
    app = create_app(
        settings(
            database_url,
            VIGIL_CELL=name,
            VIGIL_API_URL=url,
            VIGIL_DIRECTORY_URL=directory_url,
            **{"VIGIL_PUBLIC_CACHE_TTL": "0", **env},
        )
    )
    async with running(app) as client:
        client.base_url = httpx.URL(url)
        yield CellApi(name, url, database_url, client, app)


async def owner_in(cell: CellApi) -> dict[str, str]:
    """A new account signed up in this cell (the directory must place it there), logged in:
    its Authorization header."""
    email = unique_email()
    body = {"email": email, "password": PASSWORD}
    signed_up = await cell.client.post("/api/v1/auth/signup", json=body)
    assert signed_up.status_code in (201, 202), signed_up.text
    logged_in = await cell.client.post("/api/v1/auth/login", json=body)
    assert logged_in.status_code == 200, logged_in.text
    return {"Authorization": f"Bearer {logged_in.json()['access_token']}"}
