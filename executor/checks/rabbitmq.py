"""RabbitMQ check: an AMQP 0-9-1 connection opens (aiormq), then closes.

`amqp://user:password@host[:5672][/vhost]` (`amqps://` for TLS); guest/guest and the vhost
`/` by default.
"""

from __future__ import annotations

from typing import Any

import aiormq
from yarl import URL

from executor.checks import net
from executor.checks.base import CheckContext, Failure, Outcome
from shared.checkspec import Target
from shared.messages import Status, TestSpec


async def run(spec: TestSpec, ctx: CheckContext) -> Outcome:
    async def body(cfg: dict[str, Any], target: Target, clock: net.Clock) -> Outcome:
        address = await net.address(target.host, target.port, ctx, clock)
        url = URL.build(
            scheme=target.scheme,
            host=address,
            port=target.port,
            user=target.user or "guest",
            password=target.password or "guest",
            path="/" + (target.path or "/"),
        )
        try:
            connection = await aiormq.connect(url)
        except aiormq.exceptions.ProbableAuthenticationError as exc:
            raise Failure("auth", "login refused") from exc
        except aiormq.exceptions.InvalidFrameError as exc:
            if "got <Connection.Close" not in str(exc):
                raise Failure("protocol", str(exc)) from exc
            # aiormq keeps only the text; the broker closes at open for a vhost that does
            # not exist or that the user may not use
            raise Failure("auth", f"not allowed into vhost {target.path or '/'}") from exc
        except aiormq.exceptions.AMQPError as exc:
            cause = exc.__cause__
            if isinstance(cause, ConnectionResetError | EOFError):
                raise Failure("protocol", "the peer hung up at the AMQP handshake") from exc
            if isinstance(cause, OSError):
                raise cause from exc
            raise Failure("protocol", f"{type(exc).__name__}: {exc}") from exc
        clock.enter("close", mark="open_ms")
        await connection.close()
        return Outcome(Status.UP, clock.marks["open_ms"], extras=clock.marks)

    return await net.attempt(spec, body)
