"""A small in-process TTL cache of rendered public pages, with single-flight misses.

Any successful change made through this API process clears it (`CacheInvalidator`): the
next reader starts a refresh, so an owner sees their edit a moment later; test states
written by the result processor show up within the TTL. A computation that started before
a change is not stored after it: every clear bumps a generation, and a result of an older
generation is served but not kept.
A value past its TTL (by less than STALE_S) is answered at once while one background task
refreshes it, and a clear only marks values stale: once a page is warm, readers never queue
behind its rebuild; only a page never built (or not asked for in STALE_S) makes one wait.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, NamedTuple, TypeVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

V = TypeVar("V")
log = logging.getLogger(__name__)
MAX_ENTRIES = 10_000
STALE_S = 60.0  # how long past its TTL a value is still answered while it is refreshed
READS = frozenset({"GET", "HEAD", "OPTIONS"})
NOINDEX = (b"x-robots-tag", b"noindex, nofollow")  # a private page's, for no search engine


class Answer(NamedTuple):
    """A rendered answer: status, body, extra headers; for a page also its ETag and the
    body gzipped (both made once per build, so a hit costs neither)."""

    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]]
    etag: bytes | None = None
    gzipped: bytes | None = None
    # A private page's api.page_access.Guard: such an answer is only sent once the route
    # has checked the visitor (never by FastPath).
    guard: object | None = None

    def head(
        self, cache_control: bytes, request: Asked
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """(status, headers, body) to send: gzipped if the client takes it, a 304 without
        a body if it has this version already."""
        headers = [(b"cache-control", cache_control), *self.headers]
        body, zipped = self.body, False
        if self.gzipped is not None:
            headers.append((b"vary", b"Accept-Encoding"))
            if takes_gzip(request.accept_encoding):
                body, zipped = self.gzipped, True
                headers.append((b"content-encoding", b"gzip"))
        if self.etag is not None:
            # One tag per representation: a cache must not answer gzip to whom asked plain.
            etag = self.etag[:-1] + b'-gz"' if zipped else self.etag
            headers.append((b"etag", etag))
            if _matches(request.if_none_match, etag):
                return 304, headers, b""
        return (
            self.status,
            [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
            body,
        )


class Asked(NamedTuple):
    """The request headers an answer depends on."""

    if_none_match: bytes = b""
    accept_encoding: bytes = b""

    @classmethod
    def of(cls, scope: Scope) -> Asked:
        found = {
            name: bytes(value)
            for name, value in scope.get("headers", ())
            if name in (b"if-none-match", b"accept-encoding")
        }
        return cls(found.get(b"if-none-match", b""), found.get(b"accept-encoding", b""))


def takes_gzip(accept_encoding: bytes) -> bool:
    """Whether Accept-Encoding admits gzip (RFC 9110, 12.5.3): named or `*`, with a q above
    0; a named gzip outweighs `*`. A q that is not a number counts as 0: plain always works."""
    accept_encoding = accept_encoding.lower()
    if b"gzip" not in accept_encoding and b"*" not in accept_encoding:
        return False
    weights: dict[bytes, float] = {}
    for item in accept_encoding.split(b","):
        name, _, params = item.partition(b";")
        name = name.strip()
        if name in (b"gzip", b"x-gzip", b"*"):
            weights.setdefault(b"*" if name == b"*" else b"gzip", _weight(params))
    return weights.get(b"gzip", weights.get(b"*", 0.0)) > 0


def _weight(params: bytes) -> float:
    for param in params.split(b";"):
        key, _, value = param.partition(b"=")
        if key.strip() == b"q":
            try:
                return float(value.strip())
            except ValueError:
                return 0.0
    return 1.0


def _matches(if_none_match: bytes, etag: bytes) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix(b"W/") for tag in if_none_match.split(b",")}
    return etag in tags or b"*" in tags


class TtlCache(Generic[V]):
    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self.generation = 0
        self._entries: dict[str, tuple[float, V]] = {}
        self._pending: dict[str, asyncio.Future[V]] = {}
        self._refreshing: set[asyncio.Task[V]] = set()  # referenced until done

    def peek(self, key: str) -> V | None:
        """The cached value if it is still fresh, without computing anything."""
        hit = self._entries.get(key)
        return hit[1] if hit is not None and hit[0] > self.clock() else None

    def clear(self) -> None:
        """Mark every value stale: the next reader gets it at once and starts a refresh,
        and a computation already running is not kept (it may predate the change)."""
        self.generation += 1
        now = self.clock()
        self._entries = {
            key: (min(expires, now), value) for key, (expires, value) in self._entries.items()
        }

    def forget(self, key: str) -> None:
        """Drop one value outright, not even served stale, and detach a computation of it
        that is running (it may predate the change; it is not kept): the next reader waits
        for a fresh one. For a change that must show at once, such as a page made private,
        where a stale answer would be the public page."""
        self.generation += 1
        self._entries.pop(key, None)
        self._pending.pop(key, None)

    async def get(self, key: str, compute: Callable[[], Awaitable[V]]) -> V:
        """The cached value, or compute it once however many callers wait for it.

        A value that expired less than STALE_S ago is still answered at once while one
        refresh runs in the background: a page with 90-day bars takes tens of
        milliseconds to build, and nobody should wait for that every TTL.
        """
        if self.ttl_s <= 0:
            return await compute()
        hit = self._entries.get(key)
        if hit is not None:
            expires, value = hit
            now = self.clock()
            if expires > now:
                return value
            if expires + STALE_S > now:
                if key not in self._pending:
                    task = asyncio.create_task(self._fill(key, self._claim(key), compute))
                    self._refreshing.add(task)
                    task.add_done_callback(self._refreshed)
                return value
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        return await self._fill(key, self._claim(key), compute)

    def _claim(self, key: str) -> tuple[asyncio.Future[V], int]:
        """Mark the key as being computed, at once (before any await), so nobody else
        starts the same computation; with the generation it starts in."""
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        return future, self.generation

    def _refreshed(self, task: asyncio.Task[V]) -> None:
        self._refreshing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The stale value stays until STALE_S; the next request tries again.
            log.warning("refreshing a cached page failed", exc_info=task.exception())

    async def _fill(
        self, key: str, claim: tuple[asyncio.Future[V], int], compute: Callable[[], Awaitable[V]]
    ) -> V:
        future, generation = claim
        try:
            value = await compute()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody else must
            raise
        finally:
            if self._pending.get(key) is future:  # not if forget() detached it
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
    Writes under `ignore` (log-ins, token refreshes, a visitor's subscription) change no page
    and clear nothing: a stranger's sign-ups must not empty the cache.
    """

    def __init__(
        self, app: ASGIApp, cache: TtlCache, prefix: str, ignore: str | tuple[str, ...]
    ) -> None:
        self.app = app
        self.cache = cache
        self.prefix = prefix
        self.ignore = ignore

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] in READS
            or not path.startswith(self.prefix)
            or path.startswith(self.ignore)
        ):
            await self.app(scope, receive, send)
            return

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                self.cache.clear()
            await send(message)

        await self.app(scope, receive, watch)


# Decides whether a request (its ASGI scope) may read a private page's cached answer.
Gate = Callable[[object, Scope], bool]


class FastPath:
    """ASGI middleware: answer a fresh cache hit of a public page without FastAPI.

    Routing, dependencies and response classes cost more than the page itself once it
    is cached; a hit needs none of them: the body and its ETag were made at the build.
    A miss goes through the app as usual, which validates the slug and fills the cache.
    A private page's hit is answered here too when `gate` lets the request in (kept
    privately, not indexed); any other request for it goes to the route, which refuses it.
    """

    def __init__(
        self,
        app: ASGIApp,
        cache: TtlCache[Answer],
        prefix: str,
        route: object,
        max_age: int,
        gate: Gate | None = None,
    ) -> None:
        self.app = app
        self.cache = cache
        self.prefix = prefix
        self.route = route  # the metrics middleware labels requests by scope["route"]
        self.cache_control = cache_control(max_age)
        self.private_cache_control = f"private, max-age={max_age}".encode()
        self.gate = gate

    def _let_in(self, hit: Answer, scope: Scope) -> bool:
        return hit.guard is None or (self.gate is not None and self.gate(hit.guard, scope))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and scope["method"] == "GET" and path.startswith(self.prefix):
            hit = self.cache.peek(path[len(self.prefix) :])
            if hit is not None and self._let_in(hit, scope):
                scope["route"] = self.route
                private = hit.guard is not None
                status, headers, body = hit.head(
                    self.private_cache_control if private else self.cache_control, Asked.of(scope)
                )
                if private:
                    headers.append(NOINDEX)
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def cache_control(max_age: int) -> bytes:
    return f"public, max-age={max_age}".encode()
