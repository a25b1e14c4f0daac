"""Running a long-lived async component: signals, the event loop, the metrics side port."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable

from prometheus_client import start_http_server

Service = Callable[[asyncio.Event], Awaitable[None]]


def run(service: Service, metrics_port: int = 0) -> None:
    """Run `service(stop)` until SIGINT or SIGTERM sets `stop`; it then cleans up and returns."""
    if metrics_port:
        start_http_server(metrics_port, addr="127.0.0.1")
    try:
        import uvloop
    except ImportError:
        uvloop = None
    runner = uvloop.run if uvloop else asyncio.run
    runner(_main(service))


def stop_on_sigterm() -> None:
    """Make SIGTERM stop a blocking server the way Ctrl-C does (KeyboardInterrupt)."""
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


async def _main(service: Service) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await service(stop)
