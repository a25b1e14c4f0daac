"""`vigil scheduler`: reads the cell's enabled tests and sends each region its assignments.

It sends changes only (adds, changes, removals), numbered within a generation that is new
at every start; a full set goes out at start and whenever an executor asks for a resync.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Collection

from aio_pika.abc import AbstractExchange, AbstractIncomingMessage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from scheduler.plan import RegionPlan, by_region
from shared import amqp, db, names
from shared.codec import decode_resync, encode_assignment
from shared.config import Settings
from shared.messages import Assignment, TestSpec
from shared.tables import tests

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, settings: Settings, engine: AsyncEngine, exchange: AbstractExchange):
        self.cell = settings.cell
        self.engine = engine
        self.exchange = exchange
        self.generation = uuid.uuid4().hex
        self.plans: dict[str, RegionPlan] = {}
        self._lock = asyncio.Lock()  # one message at a time, so sequence numbers stay in order

    async def load(self) -> list[TestSpec]:
        query = select(tests.c.id, tests.c.kind, tests.c.region, tests.c.interval_s,
                       tests.c.timeout_s, tests.c.config, tests.c.version).where(tests.c.enabled)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [TestSpec(id=r.id, cell=self.cell, region=r.region, kind=r.kind,
                         interval_s=r.interval_s, timeout_s=r.timeout_s, config=r.config,
                         version=r.version) for r in rows]

    async def sync(self, full_regions: Collection[str] = ()) -> None:
        """Send every region what changed; the regions named get their full set."""
        wanted = by_region(await self.load())
        async with self._lock:
            for region in sorted(set(wanted) | set(self.plans) | set(full_regions)):
                specs = wanted.get(region, {})
                plan = self.plans.setdefault(region, RegionPlan())
                if region in full_regions:
                    await self._send(region, plan, list(specs.values()), [], full=True)
                else:
                    upserts, removals = plan.diff(specs)
                    if upserts or removals:
                        await self._send(region, plan, upserts, removals, full=False)
                plan.sent = specs

    async def _send(self, region: str, plan: RegionPlan, upserts: list[TestSpec],
                    removals: list[int], full: bool) -> None:
        plan.seq += 1
        message = Assignment(self.cell, region, self.generation, plan.seq, full, upserts, removals)
        await self.exchange.publish(amqp.persistent(encode_assignment(message)),
                                    routing_key=names.assignments_key(region))
        log.info("assignments sent", extra={"region": region, "seq": plan.seq, "full": full,
                                             "upserts": len(upserts), "removals": len(removals)})

    async def on_resync(self, message: AbstractIncomingMessage) -> None:
        request = await amqp.decode_or_dead_letter(message, decode_resync, "resync request")
        if request is None:
            return
        log.info("resync requested", extra={"region": request.region, "node": request.node,
                                             "reason": request.reason})
        await self.sync(full_regions={request.region})
        await message.ack()


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    engine = db.engine(settings.database_url, pool_size=2)
    connection = await amqp.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(names.ASSIGNMENTS_EXCHANGE, "topic",
                                                  durable=True)
        scheduler = Scheduler(settings, engine, exchange)
        known = set(by_region(await scheduler.load()))
        await scheduler.sync(full_regions=known)  # executors may hold an older generation
        resync = await amqp.resync_queue(channel, settings.cell)
        await resync.consume(scheduler.on_resync)
        log.info("scheduler running", extra={"cell": settings.cell, "regions": sorted(known)})
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), settings.scheduler_poll_s)
            except TimeoutError:
                await _sync_logged(scheduler)
    await engine.dispose()


async def _sync_logged(scheduler: Scheduler) -> None:
    try:
        await scheduler.sync()
    except Exception:  # a database blip must not stop the scheduler; the next poll retries
        log.exception("sync failed")
