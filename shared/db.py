"""Database connections: asyncpg for the hot paths, SQLAlchemy Core for the rest."""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# A result row of any width. SQLAlchemy's Row is generic over its columns' types, so
# `Row[Any]` would mean a row of exactly one column.
AnyRow = Row[*tuple[Any, ...]]


def sqlalchemy_url(database_url: str) -> str:
    """VIGIL_DATABASE_URL is a plain postgresql:// URL; SQLAlchemy wants the driver named."""
    scheme, sep, rest = database_url.partition("://")
    if not sep or scheme not in ("postgresql", "postgres", "postgresql+asyncpg"):
        raise ValueError(f"not a PostgreSQL URL: {database_url!r}")
    return f"postgresql+asyncpg://{rest}"


def engine(database_url: str, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        sqlalchemy_url(database_url), pool_size=pool_size, pool_pre_ping=True
    )


async def pool(database_url: str, size: int = 4) -> asyncpg.Pool:
    created = await asyncpg.create_pool(database_url, min_size=1, max_size=size)
    assert created is not None
    return created
