"""The baseline of `vigil bench ping`: uvicorn answering 200 "OK" to everything, doing
nothing, started as `vigil api` starts (same uvicorn options, same logging).

    python -m benchmark.bare_asgi PORT
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.types import Receive, Scope, Send

from shared import log


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", b"2")],
        }
    )
    await send({"type": "http.response.body", "body": b"OK"})


if __name__ == "__main__":
    log.setup("bare", "WARNING", "json")
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_config=None, server_header=False)
