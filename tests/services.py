"""Throw-away databases and RabbitMQ vhosts for one test session, on the real services."""

from __future__ import annotations

import asyncio
import subprocess
import uuid

import asyncpg

ADMIN_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def database_url(name: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(ADMIN_DATABASE_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def create_migrated_database(prefix: str = "vigil_test") -> tuple[str, str]:
    """A new database with the newest schema. Returns (name, url)."""
    from ops.migrate import upgrade

    name = unique(prefix)
    url = database_url(name)
    upgrade(url)
    return name, url


def drop_database_sync(name: str) -> None:
    asyncio.run(drop_database(name))


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


def create_vhost(prefix: str = "vigil-test") -> tuple[str, str]:
    """A new RabbitMQ vhost that guest may use. Returns (name, amqp url)."""
    name = unique(prefix)
    rabbitmqctl("add_vhost", name)
    rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    return name, f"amqp://guest:guest@127.0.0.1:5672/{name}"


def delete_vhost(name: str) -> None:
    rabbitmqctl("delete_vhost", name)


def create_directory_database(prefix: str = "vigil_dir_test") -> tuple[str, str]:
    """A new directory database with the newest schema. Returns (name, url)."""
    from ops.migrate import upgrade_directory

    name = unique(prefix)
    url = database_url(name)
    upgrade_directory(url)
    return name, url
