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


