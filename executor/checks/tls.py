"""TLS check: the chain verifies for the name, and the certificate is not about to expire.

Under `warn_days` days left the test is DEGRADED (a renewal that failed quietly is the
classic outage this check exists for); an expired or untrusted certificate is DOWN.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from executor.checks import net
from executor.checks.base import CheckContext, Outcome
from executor.clock import cert_days
from shared.checkspec import Target
from shared.messages import Status, TestSpec


async def run(spec: TestSpec, ctx: CheckContext) -> Outcome:
    async def body(cfg: dict[str, Any], target: Target, clock: net.Clock) -> Outcome:
        _, writer = await net.connect(
            target.host,
            target.port,
            ctx,
            clock,
            tls=net.tls_context(cfg),
            server_hostname=cfg["server_name"] or target.host,
        )
        latency = clock.ms()
        peercert = writer.get_extra_info("peercert")
        await net.close(writer)
        days = cert_days(peercert)
        outcome = Outcome(Status.UP, latency, extras={**clock.marks, "cert_days": days})
        if days is not None and days < cfg["warn_days"]:
            return replace(
                outcome,
                status=Status.DEGRADED,
                error_kind="cert_expiring",
                error=f"certificate expires in {days:.1f} days",
            )
        return outcome

    return await net.attempt(spec, body)
