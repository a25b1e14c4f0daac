"""One delivery off the queue: decode, claim, send, record, then ack, retry later or give up.

Where a delivery goes after an attempt:
- sent: recorded, acked. A copy that arrives later finds it sent and is dropped.
- failed, retries left: recorded as `retry`, a copy parked in the delay queue of the backoff's
  length (it comes back to the deliveries queue when it expires), the original acked.
- failed permanently, or on the last try: recorded as `failed`, rejected into the dead-letter
  queue, where an operator can see it.
- garbage: dead-lettered and counted, never a crash loop.

The order is record, then park, then ack: a crash at any point leaves the original message
unacked, so RabbitMQ redelivers it and the claim sorts out what is left to do. A crash
between a send and its record cannot be told from a send that never happened: the delivery
is then sent again when its lease runs out. We chose at-least-once over at-most-once because
a lost alert is worse than a repeated one; receivers get the idempotency key
(`X-Vigil-Key`, the email's header, PagerDuty's dedup_key) to drop the repeat themselves.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import asyncpg
from aio_pika.abc import AbstractIncomingMessage
from prometheus_client import Counter

from notifier import channels, ledger
from notifier.channels.base import Context
from notifier.delivery import Delivery, decode_delivery
from notifier.errors import DeliveryError
from notifier.retry import backoff_ms, park_ms
from shared import amqp
from shared.config import Settings
from shared.secrets import SecretError, decrypt_json

log = logging.getLogger(__name__)

DELIVERIES = Counter("vigil_notifier_deliveries_total", "Delivery messages by outcome", ["outcome"])
ATTEMPTS = Counter(
    "vigil_notifier_attempts_total", "Delivery attempts by channel and outcome", ["kind", "outcome"]
)
DB_RETRY_S = 1.0
LEASE_MARGIN_S = 30.0

Park = Callable[[bytes, int], Awaitable[None]]


class Engine:
    def __init__(
        self, settings: Settings, pool: asyncpg.Pool, ctx: Context, park: Park, delays: list[int]
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.ctx = ctx
        self.park = park  # publishes a copy into the delay queue of the given length
        self.delays = delays

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        delivery = await amqp.decode_or_dead_letter(message, decode_delivery, "delivery")
        if delivery is None:
            DELIVERIES.labels("dead_lettered").inc()
            return
        try:
            outcome = await self.process(delivery, message.body)
        except (asyncpg.PostgresError, OSError) as exc:
            DELIVERIES.labels("requeued").inc()
            log.warning("delivery requeued", extra={"key": delivery.key, "error": str(exc)})
            await asyncio.sleep(DB_RETRY_S)
            await message.nack(requeue=True)
            return
        DELIVERIES.labels(outcome).inc()
        if outcome == "failed":
            await message.reject(requeue=False)  # into the dead-letter queue, for the record
        else:
            await message.ack()

    async def process(self, d: Delivery, body: bytes) -> str:
        """Returns sent | retry | failed | parked | duplicate."""
        async with self.pool.acquire() as conn:
            claim = await ledger.claim(conn, d, self._timeout(d) + LEASE_MARGIN_S)
        if claim.attempt is None:
            if claim.state in ("sent", "failed"):
                return "duplicate"
            await self.park(body, park_ms(claim.wait_ms, self.delays))
            return "parked"
        attempt = await self.attempt(d, claim.attempt)
        retry_in = backoff_ms(
            attempt.attempt,
            self.settings.notify_backoff_base_ms,
            self.settings.notify_backoff_max_ms,
        )
        async with self.pool.acquire() as conn:
            await ledger.settle(conn, d, attempt, retry_in if attempt.outcome == "retry" else 0)
        if attempt.outcome == "retry":
            await self.park(body, retry_in)
        log.info(
            "delivery attempt",
            extra={
                "key": d.key,
                "kind": d.channel_kind,
                "attempt": attempt.attempt,
                "outcome": attempt.outcome,
                "error": attempt.error,
            },
        )
        return attempt.outcome

    async def attempt(self, d: Delivery, number: int) -> ledger.Attempt:
        started = time.perf_counter()
        error: str | None  # None: sent
        note: str | None  # what the receiver answered, recorded either way
        try:
            send = channels.get(d.channel_kind)
            note = await asyncio.wait_for(
                send(d.notification, self._config(d), self.ctx), self._timeout(d)
            )
        except DeliveryError as exc:
            error, permanent, note = exc.message, exc.permanent, exc.detail
        except TimeoutError:
            error, permanent, note = f"no answer within {self._timeout(d):g} s", False, None
        except Exception as exc:  # a bug in a channel costs its delivery a try, not the loop
            log.exception("channel failed unexpectedly", extra={"kind": d.channel_kind})
            error, permanent, note = f"internal error: {type(exc).__name__}: {exc}", False, None
        else:
            error, permanent = None, False
        took = (time.perf_counter() - started) * 1000
        if error is None:
            outcome = "sent"
        elif permanent or number >= self.settings.notify_max_attempts:
            outcome = "failed"
        else:
            outcome = "retry"
        ATTEMPTS.labels(
            d.channel_kind if d.channel_kind in channels.REGISTRY else "unknown", outcome
        ).inc()
        return ledger.Attempt(number, outcome, took, error, permanent, note)

    def _config(self, d: Delivery) -> dict[str, object]:
        if d.sealed_config is None:
            return d.config or {}
        try:
            config = decrypt_json(self.settings.secret_key, d.sealed_config)
        except SecretError as exc:
            raise DeliveryError(f"channel settings: {exc}", permanent=True) from None
        if not isinstance(config, dict):
            raise DeliveryError("channel settings: not an object", permanent=True)
        return config

    def _timeout(self, d: Delivery) -> float:
        """Hooks have their own timeout (and kill their process group when it runs out)."""
        if d.channel_kind == "hook":
            return max(self.settings.notify_timeout_s, self.settings.hooks_timeout_s + 5)
        return self.settings.notify_timeout_s
