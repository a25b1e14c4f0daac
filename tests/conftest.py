"""Session-wide fixtures: one database and one vhost per test session, cleaned up after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import services


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
