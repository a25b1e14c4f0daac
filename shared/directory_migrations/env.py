"""Alembic environment of the directory database (VIGIL_DIRECTORY_URL, or the caller's)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from shared import db
from shared.config import Settings
from shared.directory_tables import metadata

config = context.config
# Its own version table, so the directory may share a database with a cell if one wishes.
VERSION_TABLE = "alembic_version_directory"


def _url() -> str:
    return config.attributes.get("database_url") or Settings.from_env().directory_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        version_table=VERSION_TABLE,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _online() -> None:
    engine = db.engine(_url(), pool_size=1)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=db.sqlalchemy_url(_url()),
        target_metadata=metadata,
        literal_binds=True,
        version_table=VERSION_TABLE,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_online())
