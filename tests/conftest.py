"""Session-wide fixtures: one database and one vhost per test session, cleaned up after;
and the peers many tests talk to: a database connection, an HTTP receiver, an SMTP sink."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from tests import services
from tests.sinks import Receiver, Sink, http_receiver, smtp_sink


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A freshly migrated cell database of its own for this test session."""
    name, url = services.create_migrated_database()
    yield url
    services.drop_database_sync(name)


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    """A RabbitMQ vhost of its own for this test session."""
    name, url = services.create_vhost()
    yield url
    services.delete_vhost(name)


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the session's database."""
    c = await asyncpg.connect(database_url)
    yield c
    await c.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """An HTTP endpoint on loopback that records every POST (see `tests.sinks.Receiver`)."""
    async with http_receiver() as rec:
        yield rec


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, int]]:
    """A plain SMTP sink on loopback and its port."""
    with smtp_sink() as server:
        yield server
