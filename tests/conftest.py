"""Session-wide fixtures: one database and one vhost per test session, cleaned up after;
and the peers many tests talk to: a database connection, an HTTP receiver, an SMTP sink."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from tests import services
from tests.sinks import Receiver, Sink, http_receiver, smtp_sink

# Components serve a side port by default; the components tests start (several of a kind at
# once, beside other sessions on this machine) do not, unless a test asks for one.
os.environ.setdefault("VIGIL_METRICS_PORT", "0")
# The components tests start make an account at sign-up, with no mailed link to follow (most
# have no notifier); the tests of the link (tests/api/test_signup.py, the self-service
# browser test) turn it on.
os.environ.setdefault("VIGIL_SIGNUP_CONFIRM", "false")


# A test that asks for one of these talks to a real service: its marker must say so, so that
# `pytest -m unit` (and "not integration and not e2e") never needs PostgreSQL or RabbitMQ.
SERVICE_FIXTURES = frozenset({"database_url", "amqp_url", "conn"})
SERVICE_MARKERS = ("integration", "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    untrue = [
        item.nodeid
        for item in items
        if SERVICE_FIXTURES & set(getattr(item, "fixturenames", ()))
        and not any(item.get_closest_marker(m) for m in SERVICE_MARKERS)
    ]
    if untrue:
        raise pytest.UsageError(
            "these tests use PostgreSQL or RabbitMQ but are not marked integration or e2e:\n  "
            + "\n  ".join(untrue[:20])
        )


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
