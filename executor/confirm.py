"""Confirmation on the node: a failed check is tried again at once, up to `retries` times.

One lost packet or one reset connection is not an outage. The result is the last attempt's,
and says how many attempts it took and what the first failure was, so a flapping target is
visible even when the retry passed. Failures a retry cannot change are not retried.
"""

from __future__ import annotations

from dataclasses import replace

from executor.checks.base import Check, CheckContext, Outcome
from shared.checkspec import MAX_RETRIES
from shared.messages import Status, TestSpec

NOT_RETRIED = frozenset({"config", "forbidden_target", "unsupported", "ping_not_permitted"})
DEFAULT_RETRIES = 1


def retries_of(spec: TestSpec) -> int:
    value = spec.config.get("retries", DEFAULT_RETRIES)
    if not isinstance(value, int) or isinstance(value, bool):
        return DEFAULT_RETRIES  # the check itself reports the bad config
    return max(0, min(value, MAX_RETRIES))


async def confirmed(run: Check, spec: TestSpec, ctx: CheckContext) -> Outcome:
    outcome = await run(spec, ctx)
    attempts, first_error = 1, outcome.error_kind
    retries = retries_of(spec)
    while (
        outcome.status is Status.DOWN
        and attempts <= retries
        and outcome.error_kind not in NOT_RETRIED
    ):
        outcome = await run(spec, ctx)
        attempts += 1
    if attempts == 1:
        return outcome
    extras = {**(outcome.extras or {}), "attempts": attempts, "first_error": first_error}
    return replace(outcome, extras=extras)
