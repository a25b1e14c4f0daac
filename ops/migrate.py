"""`vigil migrate`: bring a cell database (and the directory, when there is one) to the
newest schema, creating them if missing."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from alembic import command
from alembic.config import Config

log = logging.getLogger(__name__)


CELL_SCRIPTS = "shared:migrations"
DIRECTORY_SCRIPTS = "shared:directory_migrations"


def alembic_config(database_url: str, scripts: str = CELL_SCRIPTS) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", scripts)
    cfg.attributes["database_url"] = database_url
    return cfg


async def ensure_database(database_url: str) -> bool:
    """Create the database if it does not exist yet. Returns True when it was created."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    conn = await asyncpg.connect(admin_url)
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        await conn.execute(f'CREATE DATABASE "{name}"')
        return True
    finally:
        await conn.close()


def upgrade(database_url: str, revision: str = "head", scripts: str = CELL_SCRIPTS) -> None:
    if asyncio.run(ensure_database(database_url)):
        log.info("created database", extra={"database": urlsplit(database_url).path})
    command.upgrade(alembic_config(database_url, scripts), revision)


def upgrade_directory(directory_url: str, revision: str = "head") -> None:
    upgrade(directory_url, revision, DIRECTORY_SCRIPTS)


async def drop_database(database_url: str) -> None:
    """Drop a database (benchmarks' scratch ones), closing whatever still uses it."""
    parts = urlsplit(database_url)
    conn = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')
    finally:
        await conn.close()
