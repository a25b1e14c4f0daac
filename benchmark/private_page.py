"""`vigil bench private_page`: what a password-protected page costs beside a public one.

The page of `vigil bench api` (100 monitors, 90 days of history), cached (TTL 5 s), read by
200 clients: first public, the baseline, answered by the fast-path middleware; then the
same page made private, read with a valid access token, which goes through FastAPI's route
and the token's HMAC check on every answer. Each is a fresh API process of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from sqlalchemy import select, update

from api import page_access, security
from benchmark.api import _measure, _percentile, _scratch_url, _seed
from benchmark.runner import Line, emit
from ops.migrate import drop_database, upgrade
from shared import db
from shared.config import Settings
from shared.tables import status_pages

PASSWORD = "bench page password"


async def _make_private(database_url: str, settings: Settings) -> str:
    """Makes the bench page password-protected; an access token to it."""
    engine = db.engine(database_url, pool_size=1)
    password_hash = security.hash_password(PASSWORD)
    try:
        async with engine.begin() as conn:
            page_id = await conn.scalar(select(status_pages.c.id))
            await conn.execute(
                update(status_pages).values(
                    visibility="password", password_hash=password_hash, feed_token="bench"
                )
            )
    finally:
        await engine.dispose()
    return page_access.issue(settings, page_id, password_hash)[0]


def bench_private_page(settings: Settings) -> Iterator[Line]:
    database_url = _scratch_url(settings.database_url)
    upgrade(database_url)
    try:
        asyncio.run(_seed(database_url))
        public, public_rps = asyncio.run(_measure(database_url, "5"))
        token = asyncio.run(_make_private(database_url, settings))
        private, private_rps = asyncio.run(
            _measure(database_url, "5", headers={"X-Vigil-Page-Access": token})
        )
    finally:
        asyncio.run(drop_database(database_url))
    for name, q in (("p50", 0.5), ("p99", 0.99)):
        yield emit(
            "private_page",
            f"private_page_{name}_ms",
            _percentile(private, q),
            "same_page_public",
            _percentile(public, q),
        )
    yield emit(
        "private_page",
        "private_page_requests_per_s_no_think_time",
        private_rps,
        "same_page_public",
        public_rps,
    )
