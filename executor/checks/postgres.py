"""PostgreSQL check: connect (asyncpg) and `SELECT 1`.

`postgresql://user[:password]@host[:5432][/database]`; the user defaults to `postgres` and
the database to the user's name. Connects to the guarded address, without TLS.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from executor.checks import net
from executor.checks.base import CheckContext, Failure, Outcome
from shared.checkspec import Target
from shared.messages import Status, TestSpec

_AUTH = (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)


async def run(spec: TestSpec, ctx: CheckContext) -> Outcome:
    async def body(cfg: dict[str, Any], target: Target, clock: net.Clock) -> Outcome:
        address = await net.address(target.host, target.port, ctx, clock)
        user = target.user or "postgres"
        try:
            conn = await asyncpg.connect(
                host=address,
                port=target.port,
                user=user,
                password=target.password,
                database=target.path or user,
                ssl=False,
                timeout=spec.timeout_s,
            )
            clock.enter("query", mark="connect_ms")
            try:
                value = await conn.fetchval("SELECT 1")
            finally:
                await conn.close(timeout=1)
        except _AUTH as exc:
            raise Failure("auth", str(exc)) from exc
        except asyncpg.PostgresError as exc:
            raise Failure("protocol", f"{type(exc).__name__}: {exc}") from exc
        if value != 1:
            raise Failure("protocol", f"SELECT 1 returned {value!r}")
        return Outcome(Status.UP, clock.ms(), extras=clock.marks)

    return await net.attempt(spec, body)
