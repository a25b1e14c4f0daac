"""Fixtures of the API tests: apps on the session's real, migrated database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import db
from tests import services
from tests.api.helpers import User, client_for, new_user


@pytest.fixture(scope="session")
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The API as deployed by default: private targets refused, minimum interval 30 s."""
    async with client_for(database_url) as api:
        yield api


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """Direct access to the database, to seed rows and to check what was stored."""
    created = db.engine(database_url, pool_size=2)
    yield created
    await created.dispose()


@pytest.fixture
async def user(client: httpx.AsyncClient) -> User:
    """A new account, logged in."""
    return await new_user(client)


@pytest.fixture(scope="module")
def directory_url() -> Iterator[str]:
    """A directory database of its own for the module."""
    name, url = services.create_directory_database()
    yield url
    services.drop_database_sync(name)


@pytest.fixture(scope="module")
def other_cell_url() -> Iterator[str]:
    """A second cell database, beside the session's."""
    name, url = services.create_migrated_database("vigil_test_b")
    yield url
    services.drop_database_sync(name)
