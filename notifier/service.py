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

import asyncpg
from aio_pika.abc import AbstractChannel, AbstractQueue, AbstractRobustConnection

from notifier import reminders
from notifier.channels.base import Context
from notifier.engine import Engine
from notifier.fanout import FanOut
from notifier.hooks import HookRunner
from notifier.http import HttpClient
from notifier.retry import steps
from shared import amqp, db, health, names
from shared.config import Settings

log = logging.getLogger(__name__)
FANOUT_PREFETCH = 16  # incident events handled at once; each is a few queries


def context(settings: Settings) -> Context:
    return Context(
        http=HttpClient(settings.notify_allow_private, settings.notify_timeout_s),
        hooks=HookRunner.from_settings(settings),
        allow_private=settings.notify_allow_private,
        timeout_s=settings.notify_timeout_s,
        smtp_url=settings.smtp_url,
        smtp_from=settings.smtp_from,
        telegram_api_url=settings.telegram_api_url,
        pagerduty_events_url=settings.pagerduty_events_url,
    )


async def declare(channel: AbstractChannel, settings: Settings) -> list[int]:
    """The deliveries queue and one delay queue per backoff length; returns the lengths."""
    await amqp.deliveries_queue(channel, settings.cell)
    delays = steps(
        settings.notify_max_attempts,
        settings.notify_backoff_base_ms,
        settings.notify_backoff_max_ms,
    )
    for delay in delays:
        await amqp.deliveries_wait_queue(channel, settings.cell, delay)
    return delays


async def fan_out(
    connection: AbstractRobustConnection, settings: Settings, pool: asyncpg.Pool
) -> tuple[AbstractQueue, str, FanOut]:
    """Consume the cell's incident events; each becomes deliveries on the deliveries queue.
    A channel of its own, with publisher confirms: an event is acked only once every delivery
    it made is safe with the broker."""
    channel = await connection.channel(publisher_confirms=True)
    await channel.set_qos(prefetch_count=FANOUT_PREFETCH)
    deliveries = await channel.declare_exchange(names.DELIVERIES_EXCHANGE, "direct", durable=True)

    async def publish(body: bytes) -> None:
        await deliveries.publish(
            amqp.persistent(body, content_type="application/json"),
            routing_key=settings.cell,
            mandatory=True,
        )

    queue = await amqp.notifications_queue(channel, settings.cell)
    fan = FanOut(settings, pool, publish)
    return queue, await queue.consume(fan.on_message), fan


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    pool = await db.pool(settings.database_url, size=4)
    ctx = context(settings)
    connection = await amqp.connect(settings.amqp_url)
    health.HEALTH.watch("database", health.pool(pool))
    health.HEALTH.watch("broker", health.broker(connection))
    try:
        async with connection:
            channel = await connection.channel()  # publisher confirms: a parked copy is safe
            await channel.set_qos(prefetch_count=settings.notify_concurrency)
            delays = await declare(channel, settings)

            async def park(body: bytes, delay_ms: int) -> None:
                await channel.default_exchange.publish(
                    amqp.persistent(body, content_type="application/json"),
                    routing_key=names.deliveries_wait_queue(settings.cell, delay_ms),
                )

            engine = Engine(settings, pool, ctx, park, delays)
            queue = await channel.get_queue(names.deliveries_queue(settings.cell))
            tag = await queue.consume(engine.on_message)
            events, events_tag, fan = await fan_out(connection, settings, pool)
            reminding = asyncio.create_task(reminders.run(fan, settings.notify_remind_every_min))
            log.info(
                "notifier running",
                extra={"cell": settings.cell, "hooks": sorted(ctx.hooks.programs)},
            )
            await stop.wait()
            reminding.cancel()
            await events.cancel(events_tag)
            await queue.cancel(tag)
    finally:
        await ctx.http.close()
        await pool.close()
