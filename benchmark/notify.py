"""`vigil bench notify`: what a delivery costs beyond the POST itself.

Ours: deliveries through the engine (claim in PostgreSQL, render, sign, POST to a local
receiver, record the attempt), eight at a time. Baseline, same run, same receiver: bare
aiohttp POSTs of the same body, eight at a time. The ratio is the price of sending once and
keeping the record. RabbitMQ is left out: a delivery is one message in and one ack out.
It works in a throw-away database beside VIGIL_DATABASE_URL's, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg
from aiohttp import web

from notifier.delivery import Delivery
from notifier.engine import Engine
from notifier.message import Notification
from notifier.service import context
from shared.config import Settings

N = 2000
CONCURRENCY = 8


def bench_notify(settings: Settings) -> Iterator[dict[str, object]]:
    from benchmark.runner import emit

    ours, baseline = asyncio.run(_measure(settings))
    yield emit("notify", "deliveries_per_s", ours, "bare_aiohttp_post_per_s", baseline)


async def _measure(settings: Settings) -> tuple[float, float]:
    from ops.migrate import upgrade

    parts = urlsplit(settings.database_url)
    name = f"vigil_bench_{uuid.uuid4().hex[:8]}"
    url = urlunsplit(parts._replace(path=f"/{name}"))
    await asyncio.to_thread(upgrade, url)
    try:
        return await _run(replace(settings, database_url=url, notify_allow_private=True))
    finally:
        admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _run(settings: Settings) -> tuple[float, float]:
    app = web.Application()
    app.router.add_post("/hook", lambda request: _ok(request))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    target = f"http://127.0.0.1:{port}/hook"
    pool = await asyncpg.create_pool(settings.database_url, min_size=2, max_size=CONCURRENCY)
    ctx = context(settings)
    try:
        engine = Engine(settings, pool, ctx, _no_park, [1000])
        run = uuid.uuid4().hex[:8]
        deliveries = [_delivery(run, i, target) for i in range(N)]
        ours = await _rate(lambda d: engine.process(d, b""), deliveries)
        async with aiohttp.ClientSession() as session:
            body = b"x" * 700  # about the size of a signed event document

            async def post(_: object) -> None:
                async with session.post(target, data=body) as response:
                    await response.read()

            baseline = await _rate(post, deliveries)
        return ours, baseline
    finally:
        await ctx.http.close()
        await pool.close()
        await runner.cleanup()


async def _ok(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(text="ok")


async def _no_park(body: bytes, delay_ms: int) -> None:
    return None


def _delivery(run: str, i: int, url: str) -> Delivery:
    n = Notification(
        kind="opened",
        key=f"bench-{run}-{i}",
        monitor=f"Monitor {i}",
        target="https://example.com/",
        incident_id=i + 1,
    )
    return Delivery(
        f"bench-{run}-{i}/1", "webhook", n, 1, 1, config={"url": url, "secret": "bench"}
    )


async def _rate(work: Callable[[Delivery], Awaitable[object]], items: list[Delivery]) -> float:
    queue: asyncio.Queue[Delivery] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)

    async def worker() -> None:
        while not queue.empty():
            await work(queue.get_nowait())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return len(items) / (time.perf_counter() - started)
