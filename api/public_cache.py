"""A small in-process TTL cache of rendered public pages, with single-flight misses.

Any successful change made through this API process clears it (`CacheInvalidator`), so
an owner sees their edit at once; test states written by the result processor show up
within the TTL. A computation that started before a change is not stored after it: every
clear bumps a generation, and a result of an older generation is served but not kept.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

V = TypeVar("V")
MAX_ENTRIES = 10_000
READS = frozenset({"GET", "HEAD", "OPTIONS"})


class TtlCache(Generic[V]):
    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self.generation = 0
        self._entries: dict[str, tuple[float, V]] = {}
        self._pending: dict[str, asyncio.Future[V]] = {}

    def peek(self, key: str) -> V | None:
        """The cached value if it is still fresh, without computing anything."""
        hit = self._entries.get(key)
        return hit[1] if hit is not None and hit[0] > self.clock() else None

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()

    async def get(self, key: str, compute: Callable[[], Awaitable[V]]) -> V:
        """The cached value, or compute it once however many callers wait for it."""
        if self.ttl_s <= 0:
            return await compute()
        hit = self.peek(key)
        if hit is not None:
            return hit
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        generation = self.generation
        try:
            value = await compute()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody else must
            raise
        finally:
            del self._pending[key]
        future.set_result(value)
        if generation == self.generation:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (self.clock() + self.ttl_s, value)
        return value


class CacheInvalidator:
    """ASGI middleware: after a successful write under `prefix`, clear the cache.

    A middleware rather than a call in each route, so a new endpoint cannot forget it.
    Writes under `ignore` (log-ins, token refreshes) change no page and clear nothing.
    """

    def __init__(self, app: ASGIApp, cache: TtlCache, prefix: str, ignore: str) -> None:
        self.app = app
        self.cache = cache
        self.prefix = prefix
        self.ignore = ignore

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (scope["type"] != "http" or scope["method"] in READS
                or not path.startswith(self.prefix) or path.startswith(self.ignore)):
            await self.app(scope, receive, send)
            return

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                self.cache.clear()
            await send(message)

        await self.app(scope, receive, watch)


class FastPath:
    """ASGI middleware: answer a fresh cache hit of a public page without FastAPI.

    Routing, dependencies and response classes cost more than the page itself once it
    is cached; a hit needs none of them. A miss goes through the app as usual, which
    validates the slug and fills the cache.
    """

    def __init__(self, app: ASGIApp, cache: TtlCache[tuple[int, bytes, list[tuple[bytes, bytes]]]],
                 prefix: str,
                 route: object, max_age: int) -> None:
        self.app = app
        self.cache = cache
        self.prefix = prefix
        self.route = route  # the metrics middleware labels requests by scope["route"]
        self.cache_control = f"public, max-age={max_age}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and scope["method"] == "GET" and path.startswith(
            self.prefix
        ):
            hit = self.cache.peek(path[len(self.prefix):])
            if hit is not None:
                scope["route"] = self.route
                code, body, extra = hit
                await send({"type": "http.response.start", "status": code, "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", self.cache_control), *extra]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
