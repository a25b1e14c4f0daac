"""The API's read endpoints (stats, series, bars, incidents, the public page) timed through
the real app on a database with history (`benchmark/history.py`'s generator).

    .venv/bin/python -m benchmark.read_api [--database NAME] [--keep] [--full-every MINUTES]

Requests go through the ASGI app in process (httpx.ASGITransport): routing, auth by API
key, queries and JSON, without a socket. Each endpoint is asked 30 times after a warm-up;
the median and the worst are printed as a Markdown table (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx

from api.app import create_app
from api.security import digest
from benchmark import history
from ops.migrate import upgrade
from shared.config import Settings

RUNS = 30
KEY = "vk_bench-read-api-key"
SLUG = "bench-page"


async def _prepare(url: str) -> None:
    """An API key for the bench account, a status page of 100 monitors, an update."""
    conn = await asyncpg.connect(url)
    await conn.execute("DELETE FROM api_keys WHERE name = 'bench'")
    await conn.execute(
        "INSERT INTO api_keys (account_id, login_id, name, prefix, key_hash, role) "
        "VALUES (1, 1, 'bench', 'vk_bench', $1, 'owner')",
        digest(KEY),
    )
    page = await conn.fetchval("SELECT id FROM status_pages WHERE slug = $1", SLUG)
    if page is None:
        page = await conn.fetchval(
            "INSERT INTO status_pages (account_id, slug, title, language) "
            "VALUES (1, $1, 'Bench', 'en') RETURNING id",
            SLUG,
        )
        await conn.execute(
            "INSERT INTO status_page_monitors (page_id, monitor_id, account_id, "
            "position) SELECT $1, m, 1, m FROM generate_series(1, 100) m",
            page,
        )
        await conn.execute(
            "INSERT INTO incident_updates (incident_id, account_id, message) "
            "SELECT id, 1, 'we are on it' FROM incidents "
            "WHERE monitor_id <= 100 ORDER BY started_at DESC LIMIT 50"
        )
    await conn.close()


def _cases() -> dict[str, str]:
    p = "/api/v1"
    return {
        "GET /monitors/{id}/stats (4 tests)": f"{p}/monitors/106/stats",
        "GET /tests/{id}/stats": f"{p}/tests/421/stats",
        "GET /tests/{id}/series?range=24h (2 regions)": f"{p}/tests/421/series?range=24h",
        "GET /tests/{id}/series?range=7d": f"{p}/tests/421/series?range=7d",
        "GET /tests/{id}/series?range=90d": f"{p}/tests/421/series?range=90d",
        "GET /monitors/{id}/bars": f"{p}/monitors/106/bars",
        "GET /incidents (first page of 50)": f"{p}/incidents",
        "GET /incidents?monitor_id=106&range=90d": f"{p}/incidents?monitor_id=106&range=90d",
        "GET /incidents/{id}": f"{p}/incidents/1",
        "GET /public/status-pages/{slug} (100 monitors, uncached)": (
            f"{p}/public/status-pages/{SLUG}"
        ),
    }


async def _time(client: httpx.AsyncClient, path: str) -> tuple[float, float, int]:
    headers = {"Authorization": f"Bearer {KEY}"}
    first = await client.get(path, headers=headers)
    assert first.status_code == 200, (path, first.text[:300])
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        await client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), len(first.content)


async def measure(url: str) -> None:
    settings = Settings.from_env(
        {
            "VIGIL_DATABASE_URL": url,
            "VIGIL_PUBLIC_CACHE_TTL": "0",
            "VIGIL_DIRECTORY_URL": "",
            "VIGIL_LOG_FORMAT": "text",
        }
    )
    app = create_app(settings)
    print(f"| endpoint | median ms ({RUNS} runs) | worst ms | answer bytes |")
    print("|---|---|---|---|")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, path in _cases().items():
                median, worst, size = await _time(client, path)
                print(f"| {name} | {median:.1f} | {worst:.1f} | {size:,} |", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument(
        "--full-every",
        type=int,
        default=1440,
        metavar="MINUTES",
        help="the full history's spacing (these endpoints never read it)",
    )
    p.add_argument("--database", help="reuse this already built database")
    args = p.parse_args()
    name = args.database or f"vigil_readapi_{uuid.uuid4().hex[:6]}"
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        if not args.database:
            upgrade(url)
            started = time.perf_counter()
            asyncio.run(
                history.build(url, args.full_every, datetime.now(UTC).replace(microsecond=0))
            )
            print(f"built {name} in {time.perf_counter() - started:.0f} s", flush=True)
        asyncio.run(_prepare(url))
        asyncio.run(measure(url))
    finally:
        if not args.keep and not args.database:
            asyncio.run(history.drop(name))


if __name__ == "__main__":
    main()
