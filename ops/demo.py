"""Local targets for the demo stack: a healthy site, a slow API and a broken checkout."""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web

DEMO_PORT = 8090


async def _ok(request: web.Request) -> web.Response:
    return web.Response(text="<h1>Demo shop</h1><p>All good.</p>", content_type="text/html")


async def _api(request: web.Request) -> web.Response:
    await asyncio.sleep(0.15)  # a plausible API latency, to give the chart something to show
    return web.json_response({"status": "ok"})


async def _broken(request: web.Request) -> web.Response:
    return web.Response(status=500, text="checkout is broken")


def app() -> web.Application:
    application = web.Application()
    application.add_routes(
        [web.get("/", _ok), web.get("/api/status", _api), web.get("/checkout", _broken)]
    )
    return application


DEMO_MONITORS = [
    ("Demo shop", f"http://127.0.0.1:{DEMO_PORT}/"),
    ("Demo API", f"http://127.0.0.1:{DEMO_PORT}/api/status"),
    ("Demo checkout (broken)", f"http://127.0.0.1:{DEMO_PORT}/checkout"),
]


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else DEMO_PORT
    web.run_app(app(), host="127.0.0.1", port=port, print=None)
