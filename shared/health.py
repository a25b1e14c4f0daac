"""Liveness and readiness of a long-lived component, served beside /metrics on its side port.

- `/healthz` (liveness): the event loop still turns. It answers from a timestamp that the
  probe task stamps every PROBE_EVERY_S, so a loop that hangs turns it to 503 by itself.
- `/readyz` (readiness): every dependency the component watches (its broker, its database)
  answered the last probe; the body says which did not, and the component's role (the
  scheduler: leading or standby).

Probes run on the component's own event loop (its connections belong to it); the HTTP
server is a thread that only reads the last snapshot, so a slow probe never blocks a scrape.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import asyncpg
from aio_pika.abc import AbstractRobustConnection
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

# The side port of each component when VIGIL_METRICS_PORT is not set (docs/OPERATING.md).
DEFAULT_PORTS = {"executor": 9100, "processor": 9101, "scheduler": 9102, "notifier": 9103}
PROBE_EVERY_S = 1.0
PROBE_TIMEOUT_S = 2.0
STALE_AFTER_S = 10.0  # no probe round for this long: the event loop hangs, not alive

Probe = Callable[[], Awaitable[bool]]


@dataclass
class Health:
    """What a component watches, and what the last round of probes found."""

    probes: dict[str, Probe] = field(default_factory=dict)
    role: str | None = None  # e.g. the scheduler's "leading" / "standby"
    checks: dict[str, bool] = field(default_factory=dict)
    stamped: float = field(default_factory=time.monotonic)

    def watch(self, name: str, probe: Probe) -> None:
        self.probes[name] = probe

    async def run(self, stop: asyncio.Event) -> None:
        """Probe every dependency each PROBE_EVERY_S until `stop`."""
        while not stop.is_set():
            self.checks = {name: await _safely(p) for name, p in list(self.probes.items())}
            self.stamped = time.monotonic()
            try:
                await asyncio.wait_for(stop.wait(), PROBE_EVERY_S)
            except TimeoutError:
                pass

    def alive(self) -> bool:
        return time.monotonic() - self.stamped < STALE_AFTER_S

    def ready(self) -> tuple[bool, dict[str, Any]]:
        checks = dict(self.checks)
        ok = self.alive() and bool(checks) and all(checks.values())
        body: dict[str, Any] = {"ready": ok, "checks": checks}
        if self.role is not None:
            body["role"] = self.role
        return ok, body


HEALTH = Health()  # one per process, like prometheus_client's REGISTRY


async def _safely(probe: Probe) -> bool:
    try:
        return bool(await asyncio.wait_for(probe(), PROBE_TIMEOUT_S))
    except Exception:  # noqa: BLE001 - any failure of a probe means "not ready", nothing more
        return False


def broker(connection: AbstractRobustConnection) -> Probe:
    """Connected to the broker now (a robust connection that is reconnecting is not)."""

    async def probe() -> bool:
        return not connection.is_closed and connection.connected.is_set()

    return probe


def engine(db: AsyncEngine) -> Probe:
    async def probe() -> bool:
        async with db.connect() as conn:
            return bool(await conn.scalar(text("SELECT 1")) == 1)

    return probe


def pool(db: asyncpg.Pool) -> Probe:
    async def probe() -> bool:
        return bool(await db.fetchval("SELECT 1") == 1)

    return probe


# --- the side port ------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    health: Health = HEALTH

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._answer(200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
        elif path == "/healthz":
            alive = self.health.alive()
            self._json(200 if alive else 503, {"alive": alive})
        elif path == "/readyz":
            ok, body = self.health.ready()
            self._json(200 if ok else 503, body)
        else:
            self._json(404, {"detail": "not found: try /metrics, /healthz or /readyz"})

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._answer(status, json.dumps(body).encode(), "application/json")

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # probes every few seconds would drown the component's own log


def serve_side_port(host: str, port: int) -> ThreadingHTTPServer:
    """Serve /metrics, /healthz and /readyz on (host, port) from a daemon thread."""
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="side-port", daemon=True).start()
    return server
