"""`vigil scheduler`: reads the cell's enabled tests and shares each region's among its live
executor nodes, telling each node what it must run.

Each node gets its own numbered messages (a full set, then adds, changes and removals) within
a generation that is new at every start. A node that appears, or comes back after it was
counted dead, gets its full set; a node that asks for a resync gets it too. When a node goes
silent its tests move to the region's live nodes (and it is told to drop them, in case it was
only cut off); a region with no live node keeps its assignments as they are and raises an
operator alert: its silence is never taken for the sites being down.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Collection

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractIncomingMessage
from prometheus_client import Counter, Gauge
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from scheduler import checknow
from scheduler.plan import NodePlan, by_region, per_region
from scheduler.registry import Registry
from scheduler.spread import split
from shared import amqp, db, names
from shared.codec import (
    decode_check_now,
    decode_heartbeat,
    decode_resync,
    encode_assignment,
    encode_check_now,
)
from shared.config import Settings
from shared.messages import Assignment, TestSpec
from shared.tables import tests

log = logging.getLogger(__name__)

LIVE_NODES = Gauge("vigil_scheduler_live_nodes", "Live executor nodes, by region", ["region"])
REGIONS_WITHOUT_NODES = Gauge("vigil_scheduler_regions_without_live_nodes",
                              "Regions with tests and no live executor node (an alert)")

CHECK_NOW_FORWARDED = Counter("vigil_scheduler_check_now_forwarded",
                              "Check-now requests forwarded to a node of another region")

Key = tuple[str, str]  # (region, node)


class Scheduler:
    def __init__(self, settings: Settings, engine: AsyncEngine, exchange: AbstractExchange,
                 registry: Registry):
        self.cell = settings.cell
        self.engine = engine
        self.exchange = exchange
        self.registry = registry
        self.generation = uuid.uuid4().hex
        self.plans: dict[Key, NodePlan] = {}
        self.stranded: set[str] = set()  # regions with tests and no live node
        self.owed_full: set[Key] = set()  # nodes that appeared: their next message is full
        self._lock = asyncio.Lock()  # one message at a time, so sequence numbers stay in order

    async def load(self) -> list[TestSpec]:
        """Every enabled test, once for each region it runs in."""
        query = select(tests.c.id, tests.c.kind, tests.c.regions, tests.c.interval_s,
                       tests.c.timeout_s, tests.c.config, tests.c.version).where(tests.c.enabled)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [spec for r in rows for spec in per_region(
            TestSpec(id=r.id, cell=self.cell, region="", kind=r.kind, interval_s=r.interval_s,
                     timeout_s=r.timeout_s, config=r.config, version=r.version),
            r.regions)]

    async def sync(self, full: Collection[Key] = ()) -> None:
        """Send every node what changed; the nodes named (and new ones) get their full set."""
        wanted = by_region(await self.load())
        async with self._lock:
            regions = set(wanted) | {r for r, _ in self.plans} | self.registry.regions()
            for region in sorted(regions):
                await self._sync_region(region, wanted.get(region, {}), full)
            REGIONS_WITHOUT_NODES.set(len(self.stranded))

    async def _sync_region(self, region: str, specs: dict[int, TestSpec],
                           full: Collection[Key]) -> None:
        live = self.registry.live(region)
        LIVE_NODES.labels(region).set(len(live))
        if not live:
            self._alert(region, stranded=bool(specs))
            return  # keep what the nodes hold: a cut-off region goes on checking
        self._alert(region, stranded=False)
        shares = split(specs, live)
        for node in sorted(set(shares) | {n for r, n in self.plans if r == region}):
            plan = self.plans.setdefault((region, node), NodePlan())
            share = shares.get(node, {})
            if plan.seq == 0 or (region, node) in full or (region, node) in self.owed_full:
                await self._send(region, node, plan, list(share.values()), [], full=True)
                self.owed_full.discard((region, node))
            else:
                upserts, removals = plan.diff(share)
                if upserts or removals:
                    await self._send(region, node, plan, upserts, removals, full=False)
            plan.sent = share  # a dead node keeps its plan (and sequence) for its return

    def _alert(self, region: str, stranded: bool) -> None:
        if stranded and region not in self.stranded:
            self.stranded.add(region)
            log.error("operator alert: region has tests but no live executor node; its"
                      " silence is not counted as the sites being down",
                      extra={"region": region, "alert": "region_without_nodes"})
        elif not stranded and region in self.stranded:
            self.stranded.discard(region)
            log.warning("region has a live executor node again", extra={"region": region})

    async def _send(self, region: str, node: str, plan: NodePlan, upserts: list[TestSpec],
                    removals: list[int], full: bool) -> None:
        plan.seq += 1
        message = Assignment(self.cell, region, self.generation, plan.seq, full, upserts,
                             removals, node=node)
        body = amqp.persistent(encode_assignment(message))
        body.headers = {names.SENT_AT_HEADER: time.time_ns() // 1_000_000}
        await self.exchange.publish(body, routing_key=names.assignments_key(region, node))
        log.info("assignments sent", extra={"region": region, "node": node, "seq": plan.seq,
                                             "full": full, "upserts": len(upserts),
                                             "removals": len(removals)})

    async def on_resync(self, message: AbstractIncomingMessage) -> None:
        request = await amqp.decode_or_dead_letter(message, decode_resync, "resync request")
        if request is None:
            return
        log.info("resync requested", extra={"region": request.region, "node": request.node,
                                             "reason": request.reason})
        # A node not yet live gets its full set when its first heartbeat makes it live.
        await self.sync(full={(request.region, request.node)})
        await message.ack()

    async def on_check_now(self, message: AbstractIncomingMessage) -> None:
        """A node saw a test fail: ask the node holding it in each other region to check
        it now, so the incident confirms in seconds rather than at the next interval."""
        request = await amqp.decode_or_dead_letter(message, decode_check_now, "check now")
        if request is None:
            return
        asked = checknow.targets(self.plans, request.test_id, request.region,
                                 self.registry.is_live) if request.cell == self.cell else []
        body = encode_check_now(request)
        for region, node in asked:
            await self.exchange.publish(
                aio_pika.Message(body, content_type="application/msgpack",
                                 type=names.CHECK_NOW_TYPE,
                                 expiration=names.CHECK_NOW_TTL_MS / 1000),
                routing_key=names.node_check_now_key(region, node))
        CHECK_NOW_FORWARDED.inc(len(asked))
        log.info("check now", extra={"test_id": request.test_id, "from": request.region,
                                     "asked": [f"{r}/{n}" for r, n in asked]})
        await message.ack()

    async def on_heartbeat(self, message: AbstractIncomingMessage) -> None:
        beat = await amqp.decode_or_dead_letter(message, decode_heartbeat, "heartbeat")
        if beat is None:
            return
        appeared = await self.registry.beat(beat)
        await message.ack()
        if appeared:
            log.info("node live", extra={"region": beat.region, "node": beat.node,
                                         "version": beat.version})
            self.owed_full.add((beat.region, beat.node))  # whichever sync comes first sends it
            await self.sync()


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    engine = db.engine(settings.database_url, pool_size=2)
    connection = await amqp.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(names.ASSIGNMENTS_EXCHANGE, "topic",
                                                  durable=True)
        registry = Registry(engine, settings.node_dead_after_s, settings.max_clock_skew_s)
        await registry.restore()
        scheduler = Scheduler(settings, engine, exchange, registry)
        await scheduler.sync()  # every node with a plan is new to this generation: full sets
        resync = await amqp.resync_queue(channel, settings.cell)
        await resync.consume(scheduler.on_resync)
        beats = await amqp.heartbeats_queue(channel, settings.cell)
        await beats.consume(scheduler.on_heartbeat)
        asks = await amqp.check_now_queue(channel, settings.cell)
        await asks.consume(scheduler.on_check_now)
        log.info("scheduler running", extra={"cell": settings.cell})
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
