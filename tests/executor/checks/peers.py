"""Real local peers for the check tests: listeners, a black hole, a test CA, a context."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from executor.checks.base import CheckContext

BAD_NAME = "no..such-host"  # refused by the resolver library itself: no DNS traffic leaves


@asynccontextmanager
async def context(allow_private: bool = True) -> AsyncIterator[CheckContext]:
    """A CheckContext as the executor builds it."""
    from executor.service import http_session
    from shared.config import Settings

    settings = Settings.from_env({"VIGIL_ALLOW_PRIVATE_TARGETS": str(allow_private)})
    async with http_session(settings) as session:
        yield CheckContext(session, 65536, allow_private)


@asynccontextmanager
async def tcp_listener(reply: bytes = b"") -> AsyncIterator[int]:
    """A port that accepts, optionally says `reply`, and closes."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if reply:
            writer.write(reply)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


@asynccontextmanager
async def silent_listener() -> AsyncIterator[int]:
    """A port that accepts and then never says a word."""
    held: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]
        for writer in held:
            writer.close()


@contextmanager
def black_hole() -> Iterator[int]:
    """A port whose accept queue is full, so a new connection hangs (a connect timeout)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):  # the kernel queues backlog + 1; the rest wait in SYN
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        fillers.append(s)
    try:
        yield port
    finally:
        for s in fillers:
            s.close()
        listener.close()


async def assert_connection_failures(
    run, kind: str, url_for_port, junk: bytes, silent_kind: str = "timeout"
) -> None:
    """The failures every service check shares: refused, not the protocol, silent, guarded.

    A driver that connects and handshakes in one call cannot tell a silent peer from one
    that never accepted: for those kinds the session was not established, `connect_timeout`.
    """
    from shared.messages import Status, TestSpec
    from tests.targets import free_port

    def spec(port: int, timeout: float = 2.0) -> TestSpec:
        return TestSpec(1, "a", "local", kind, 60, timeout, {"url": url_for_port(port)}, 1)

    async with context() as ctx:
        refused = await run(spec(free_port()), ctx)
        assert (refused.status, refused.error_kind) == (Status.DOWN, "refused"), refused
        async with tcp_listener(junk) as port:
            garbage = await run(spec(port), ctx)
        assert (garbage.status, garbage.error_kind) == (Status.DOWN, "protocol"), garbage
        async with silent_listener() as port:
            silent = await run(spec(port, timeout=0.5), ctx)
        assert (silent.status, silent.error_kind) == (Status.DOWN, silent_kind), silent
    async with context(allow_private=False) as ctx:
        guarded = await run(spec(free_port()), ctx)
        assert guarded.error_kind == "forbidden_target", guarded
