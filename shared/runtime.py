"""Running a long-lived async component: signals, the event loop, the side port (/metrics,
/healthz, /readyz: shared/health.py)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from shared import health

Service = Callable[[asyncio.Event], Awaitable[None]]


def run(service: Service, metrics_port: int = 0, metrics_host: str = "127.0.0.1") -> None:
    """Run `service(stop)` until SIGINT or SIGTERM sets `stop`; it then cleans up and returns.
    A side port that cannot be bound stops start-up (OSError): an orchestrator probing it
    would otherwise ask another process."""
    if metrics_port:
        health.serve_side_port(metrics_host, metrics_port)
    runner: Callable[[Coroutine[Any, Any, None]], None] = asyncio.run
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        pass
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
    probing = asyncio.create_task(health.HEALTH.run(stop))
    try:
        await service(stop)
    finally:
        stop.set()
        await probing
