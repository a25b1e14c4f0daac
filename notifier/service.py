"""`vigil notifier`: consume the cell's deliveries and send each one, once.

Retries wait in delay queues, one per backoff length, that dead-letter back into the
deliveries queue when their messages expire (see `shared.amqp.deliveries_wait_queue`): no
timer in this process, nothing lost when it restarts, and any notifier of the cell may pick
a retry up. The alternative, the delayed-message exchange plugin, is one more plugin for
every operator to install, and keeps its messages on one node only.
"""

from __future__ import annotations

import asyncio
import logging

from aio_pika.abc import AbstractChannel

from notifier.channels.base import Context
from notifier.engine import Engine
from notifier.hooks import HookRunner
from notifier.http import HttpClient
from notifier.retry import steps
from shared import amqp, db, names
from shared.config import Settings

log = logging.getLogger(__name__)


def context(settings: Settings) -> Context:
    return Context(
        http=HttpClient(settings.notify_allow_private, settings.notify_timeout_s),
        hooks=HookRunner.from_settings(settings),
        allow_private=settings.notify_allow_private, timeout_s=settings.notify_timeout_s,
        smtp_url=settings.smtp_url, smtp_from=settings.smtp_from,
        telegram_api_url=settings.telegram_api_url,
        pagerduty_events_url=settings.pagerduty_events_url,
    )


async def declare(channel: AbstractChannel, settings: Settings) -> list[int]:
    """The deliveries queue and one delay queue per backoff length; returns the lengths."""
    await amqp.deliveries_queue(channel, settings.cell)
    delays = steps(settings.notify_max_attempts, settings.notify_backoff_base_ms,
                   settings.notify_backoff_max_ms)
    for delay in delays:
        await amqp.deliveries_wait_queue(channel, settings.cell, delay)
    return delays


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    pool = await db.pool(settings.database_url, size=4)
    ctx = context(settings)
    connection = await amqp.connect(settings.amqp_url)
    try:
        async with connection:
            channel = await connection.channel()  # publisher confirms: a parked copy is safe
            await channel.set_qos(prefetch_count=settings.notify_concurrency)
            delays = await declare(channel, settings)

            async def park(body: bytes, delay_ms: int) -> None:
                await channel.default_exchange.publish(
                    amqp.persistent(body, content_type="application/json"),
                    routing_key=names.deliveries_wait_queue(settings.cell, delay_ms))

            engine = Engine(settings, pool, ctx, park, delays)
            queue = await channel.get_queue(names.deliveries_queue(settings.cell))
            tag = await queue.consume(engine.on_message)
            log.info("notifier running", extra={"cell": settings.cell,
                                                "hooks": sorted(ctx.hooks.programs)})
            await stop.wait()
            await queue.cancel(tag)
    finally:
        await ctx.http.close()
        await pool.close()
