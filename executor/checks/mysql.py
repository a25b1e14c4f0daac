"""MySQL / MariaDB check: connect (aiomysql) and `SELECT 1`.

`mysql://user[:password]@host[:3306][/database]`; the user defaults to `root`.
"""

from __future__ import annotations

from typing import Any

import aiomysql
import pymysql

from executor.checks import net
from executor.checks.base import CheckContext, Failure, Outcome
from shared.checkspec import Target
from shared.messages import Status, TestSpec

_ACCESS_DENIED = {1044, 1045, 1698}
_CANNOT_CONNECT = 2003


async def run(spec: TestSpec, ctx: CheckContext) -> Outcome:
    async def body(cfg: dict[str, Any], target: Target, clock: net.Clock) -> Outcome:
        address = await net.address(target.host, target.port, ctx, clock)
        try:
            conn = await aiomysql.connect(
                host=address,
                port=target.port,
                user=target.user or "root",
                password=target.password or "",
                db=target.path or None,
                connect_timeout=spec.timeout_s,
            )
            clock.enter("query", mark="connect_ms")
            try:
                async with conn.cursor() as cursor:
                    await cursor.execute("SELECT 1")
                    row = await cursor.fetchone()
            finally:
                conn.close()
        except pymysql.err.MySQLError as exc:
            raise _failure(exc) from exc
        if row != (1,):
            raise Failure("protocol", f"SELECT 1 returned {row!r}")
        return Outcome(Status.UP, clock.ms(), extras=clock.marks)

    return await net.attempt(spec, body)


def _failure(exc: pymysql.err.MySQLError) -> BaseException:
    code = exc.args[0] if exc.args else None
    if code in _ACCESS_DENIED:
        return Failure("auth", str(exc.args[1] if len(exc.args) > 1 else exc))
    if code == _CANNOT_CONNECT and isinstance(exc.__cause__, OSError):
        return exc.__cause__  # refused, timed out: classified like any connection's
    return Failure("protocol", f"{type(exc).__name__}: {exc}")
