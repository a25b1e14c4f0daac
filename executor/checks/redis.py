"""Redis check: AUTH if the URL has a password, then PING, spoken as plain RESP.

`redis://[[user]:password@]host[:6379]`, `rediss://` for TLS. A dozen bytes of protocol do
not need a client library.
"""

from __future__ import annotations

import asyncio
from typing import Any

from executor.checks import net
from executor.checks.base import CheckContext, Failure, Outcome
from shared.checkspec import Target
from shared.messages import Status, TestSpec


async def run(spec: TestSpec, ctx: CheckContext) -> Outcome:
    async def body(cfg: dict[str, Any], target: Target, clock: net.Clock) -> Outcome:
        tls = net.tls_context(cfg | {"ca_pem": None}) if target.scheme == "rediss" else None
        reader, writer = await net.connect(target.host, target.port, ctx, clock, tls=tls)
        try:
            if target.password is not None:
                auth = [target.user, target.password] if target.user else [target.password]
                reply = await _call(reader, writer, "AUTH", *auth)
                if not reply.startswith(b"+"):
                    raise Failure("auth", f"AUTH refused: {_text(reply)}")
            reply = await _call(reader, writer, "PING")
        finally:
            await net.close(writer)
        if reply.startswith((b"-NOAUTH", b"-WRONGPASS")):
            raise Failure("auth", _text(reply))
        if reply != b"+PONG":
            raise Failure("protocol", f"PING answered {_text(reply) or 'nothing'}")
        return Outcome(Status.UP, clock.ms(), extras=clock.marks)

    return await net.attempt(spec, body)


async def _call(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *args: str) -> bytes:
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    writer.write(b"".join(parts))
    return (await reader.readline()).rstrip(b"\r\n")


def _text(reply: bytes) -> str:
    return reply.decode(errors="replace")[:200]
