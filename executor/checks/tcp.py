"""TCP check: the port accepts a connection (the address is guarded like every target)."""

from __future__ import annotations

from typing import Any

from executor.checks import net
from executor.checks.base import CheckContext, Outcome
from shared.checkspec import Target
from shared.messages import Status, TestSpec


async def run(spec: TestSpec, ctx: CheckContext) -> Outcome:
    async def body(cfg: dict[str, Any], target: Target, clock: net.Clock) -> Outcome:
        _, writer = await net.connect(target.host, target.port, ctx, clock)
        latency = clock.ms()
        await net.close(writer)
        return Outcome(Status.UP, latency, extras=clock.marks)

    return await net.attempt(spec, body)
