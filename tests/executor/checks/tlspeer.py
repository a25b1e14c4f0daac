"""A test CA and TLS servers signed by it (trustme), for the TLS, HTTPS and SMTP tests."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import trustme

CA = trustme.CA()
CA_PEM = CA.cert_pem.bytes().decode()


def server_context(
    days: float = 90, names: tuple[str, ...] = ("127.0.0.1", "localhost"), ca: trustme.CA = CA
) -> ssl.SSLContext:
    now = dt.datetime.now(dt.UTC)
    leaf = ca.issue_cert(
        *names, not_before=now - dt.timedelta(days=2), not_after=now + dt.timedelta(days=days)
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    return context


@asynccontextmanager
async def tls_server(context: ssl.SSLContext) -> AsyncIterator[int]:
    """A TLS port that completes the handshake and closes."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    async with server:
        yield server.sockets[0].getsockname()[1]
