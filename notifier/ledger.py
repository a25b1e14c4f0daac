"""The record of deliveries and attempts, and the claim that makes a delivery go out once.

A delivery row is registered on first sight and claimed before each attempt, in one
statement (INSERT ... ON CONFLICT DO UPDATE ... WHERE on its idempotency key): a conditional
claim, as healthchecks' sendalerts makes with an UPDATE. Only a row that is due (`waiting`
and past its time) or whose sender died (`sending` past its lease) can be claimed, so of two
copies of one message, or two notifiers, exactly one sends. Times are the database's: one
clock for every notifier.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from notifier.delivery import Delivery

# Register and claim in one statement: a new delivery is inserted already claimed; a known one
# is claimed only if it is due, or if its sender's lease ran out (the sender died).
_CLAIM = """
INSERT INTO notification_deliveries AS d
    (idempotency_key, account_id, channel_id, channel_kind, event_kind, incident_id, state,
     attempts, claimed_at)
VALUES ($1, $2, $3, $4, $5, $6, 'sending', 1, now())
ON CONFLICT (idempotency_key) DO UPDATE
SET state = 'sending', attempts = d.attempts + 1, claimed_at = now()
WHERE (d.state = 'waiting' AND d.next_attempt_at <= now())
   OR (d.state = 'sending' AND d.claimed_at < now() - make_interval(secs => $7::float8))
RETURNING attempts
"""

# Why a claim failed: done already, or how long until it may be tried (ms).
_LOOK = """
SELECT state,
       greatest(0, ceil(1000 * extract(epoch FROM CASE state
           WHEN 'waiting' THEN next_attempt_at - now()
           ELSE claimed_at + make_interval(secs => $2::float8) - now() END)))::bigint
       AS wait_ms
FROM notification_deliveries WHERE idempotency_key = $1
"""

_ATTEMPT = """
INSERT INTO notification_attempts
    (idempotency_key, account_id, channel_id, channel_kind, attempt, duration_ms, outcome,
     permanent, error, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
"""

# Only the claim holder moves the row on: a sender whose lease ran out (and whose delivery
# another notifier took over, with a higher attempt number) records its attempt, nothing more.
_SETTLE = """
UPDATE notification_deliveries
SET state = $3::text, last_error = $4,
    next_attempt_at = now() + make_interval(secs => $5::bigint / 1000.0),
    finished_at = CASE WHEN $3::text IN ('sent', 'failed') THEN now() END
WHERE idempotency_key = $1 AND state = 'sending' AND attempts = $2
"""


@dataclass(frozen=True)
class Claim:
    attempt: int | None  # the attempt number this worker now owns, or None
    state: str  # the delivery's state when the claim was not won
    wait_ms: int = 0  # when not won and not finished: how long until it may be tried


@dataclass(frozen=True)
class Attempt:
    """The outcome of one try, as recorded."""

    attempt: int
    outcome: str  # sent | retry | failed
    duration_ms: float
    error: str | None = None
    permanent: bool = False
    detail: str | None = None


async def claim(conn: asyncpg.Connection, d: Delivery, lease_s: float) -> Claim:
    n = d.notification
    attempt = await conn.fetchval(
        _CLAIM, d.key, d.account_id, d.channel_id, d.channel_kind, n.kind, n.incident_id, lease_s
    )
    if attempt is not None:
        return Claim(attempt, "sending")
    row = await conn.fetchrow(_LOOK, d.key, lease_s)
    return Claim(None, row["state"], int(row["wait_ms"]))


async def settle(conn: asyncpg.Connection, d: Delivery, a: Attempt, retry_in_ms: int) -> None:
    """Record the attempt and move the delivery on, in one transaction."""
    state = {"sent": "sent", "retry": "waiting", "failed": "failed"}[a.outcome]
    async with conn.transaction():
        await conn.execute(
            _ATTEMPT,
            d.key,
            d.account_id,
            d.channel_id,
            d.channel_kind,
            a.attempt,
            a.duration_ms,
            a.outcome,
            a.permanent,
            a.error,
            a.detail,
        )
        await conn.execute(_SETTLE, d.key, a.attempt, state, a.error, retry_in_ms)
