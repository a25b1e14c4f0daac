"""`vigil scheduler`: reads the cell's enabled tests and shares each region's among its live
executor nodes, telling each node what it must run.

Each node gets its own numbered messages (a full set, then adds, changes and removals) within
a generation that is new at every start. A node that appears, or comes back after it was
counted dead, gets its full set; a node that asks for a resync gets it too. When a node goes
silent its tests move to the region's live nodes (and it is told to drop them, in case it was
only cut off); a region with no live node keeps its assignments as they are and raises an
operator alert: its silence is never taken for the sites being down.

The enabled tests live in memory (`view.py`). At start, on a resync request and every
VIGIL_SCHEDULER_FULL_READ it reads them all; each poll in between reads only the rows written
since (`changes.py`), so a quiet poll costs the same for ten tests or 180,000. A region is
shared among its nodes again only when its live nodes change (or after a full read); a
changed test otherwise costs its own owner's hash and a message to the nodes concerned.

A cell may run several schedulers: the one holding the cell's advisory lock leads, the others
stand by (`leader.py`). Everything above (reading and pruning, the registry, assignments)
happens in the leader only, in a generation of its own; executors go on checking what they
hold while leadership changes hands, and take the new leader's full sets in place.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Collection

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractRobustConnection,
)
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncEngine

from scheduler import changes, checknow
from scheduler.leader import Leadership, Watchdog
from scheduler.plan import NodePlan
from scheduler.plan import changes as plan_changes
from scheduler.registry import Registry
from scheduler.spread import split
from scheduler.view import Changed, TestView
from shared import amqp, db, health, names
from shared.codec import (
    decode_check_now,
    decode_heartbeat,
    decode_resync,
    encode_assignment,
    encode_check_now,
)
from shared.config import Settings
from shared.messages import Assignment, TestSpec

log = logging.getLogger(__name__)

LIVE_NODES = Gauge("vigil_scheduler_live_nodes", "Live executor nodes, by region", ["region"])
REGIONS_WITHOUT_NODES = Gauge(
    "vigil_scheduler_regions_without_live_nodes",
    "Regions with tests and no live executor node (an alert)",
)

ROWS_READ = Counter(
    "vigil_scheduler_rows_read",
    "Rows of tests the scheduler read, by kind of"
    " read: a quiet poll reads none; many while a long transaction is open",
    ["read"],
)
TESTS_REJECTED = Gauge(
    "vigil_scheduler_tests_rejected",
    "Enabled tests left out: their row cannot be sent (see the log)",
)
LEADING = Gauge(
    "vigil_scheduler_leading", "1 while this scheduler leads its cell, 0 while it stands by"
)
CHECK_NOW_FORWARDED = Counter(
    "vigil_scheduler_check_now_forwarded",
    "Check-now requests forwarded to a node of another region",
)

Key = tuple[str, str]  # (region, node)


class Scheduler:
    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        exchange: AbstractExchange,
        registry: Registry,
    ):
        self.cell = settings.cell
        self.engine = engine
        self.exchange = exchange
        self.registry = registry
        self.generation = uuid.uuid4().hex
        self.plans: dict[Key, NodePlan] = {}
        self.stranded: set[str] = set()  # regions with tests and no live node
        self.owed_full: set[Key] = set()  # nodes that appeared: their next message is full
        self._lock = asyncio.Lock()  # one message at a time, so sequence numbers stay in order
        # The enabled tests, in memory: a poll reads only what changed (scheduler/changes.py).
        self.view = TestView(settings.cell)
        self.full_read_s = settings.scheduler_full_read_s
        self.xmin: int | None = None  # where the next read of changes starts; None: read all
        self.read_all_started = self.read_all_at = 0.0  # monotonic, of the last full read
        self.changed: Changed = {}  # what changed in the view since the last sync
        self.reshare = False  # a full read: share every region again
        self.shared_among: dict[str, tuple[str, ...]] = {}  # region -> live nodes it was
        self._read_lock = asyncio.Lock()  # reads apply in the order of their snapshots

    async def refresh(self, full: bool = False, asked_at: float | None = None) -> None:
        """Bring the view up to date: a full read at start, when asked, and every
        VIGIL_SCHEDULER_FULL_READ as a backstop; otherwise only what changed.

        A full read asked for at `asked_at` (monotonic) is served by any full read that
        began after it: a burst of resync requests (a region's nodes restarting) costs
        two full reads at most, not one each."""
        async with self._read_lock:
            if full and asked_at is not None and self.read_all_started >= asked_at:
                full = False
            due = time.monotonic() - self.read_all_at >= self.full_read_s
            if full or self.xmin is None or due:
                await self._read_all()
                return
            read = await changes.read_since(self.engine, self.xmin)
            if read.truncated:
                await self._read_all()
            else:
                ROWS_READ.labels("changes").inc(len(read.rows))
                for region, ids in self.view.apply(read.rows, read.deleted).items():
                    self.changed.setdefault(region, set()).update(ids)
                self.xmin = read.xmin
            TESTS_REJECTED.set(len(self.view.rejected))
            await _prune_logged(self.engine, read.seen)

    async def _read_all(self) -> None:
        started = time.monotonic()
        read = await changes.read_all(self.engine)
        ROWS_READ.labels("full").inc(len(read.rows))
        self.view.replace(read.rows)
        self.xmin, self.reshare = read.xmin, True
        self.read_all_started, self.read_all_at = started, time.monotonic()
        self.changed = {}
        TESTS_REJECTED.set(len(self.view.rejected))
        await _prune_logged(self.engine, read.seen, below=read.xmin)

    async def sync(self, full: Collection[Key] = ()) -> None:
        """Send every node what changed; the nodes named (and new ones) get their full set.
        Works from the view: a node's change costs no database read."""
        async with self._lock:
            changed, self.changed = self.changed, {}
            reshare, self.reshare = self.reshare, False
            regions = set(self.view.regions) | {r for r, _ in self.plans} | self.registry.regions()
            try:
                for region in sorted(regions):
                    await self._sync_region(region, changed.get(region, set()), full, reshare)
            except BaseException:
                self.reshare = True  # what reached the nodes is uncertain: diff it all next
                raise
            REGIONS_WITHOUT_NODES.set(len(self.stranded))

    async def _sync_region(
        self, region: str, changed: set[int], full: Collection[Key], reshare: bool
    ) -> None:
        live = self.registry.live(region)
        LIVE_NODES.labels(region).set(len(live))
        specs = self.view.regions.get(region, {})
        if not live:
            self._alert(region, stranded=bool(specs))
            self.shared_among.pop(region, None)  # share it all again when a node is back
            return  # keep what the nodes hold: a cut-off region goes on checking
        self._alert(region, stranded=False)
        owed = any(r == region for r, _ in (*full, *self.owed_full))
        if reshare or owed or self.shared_among.get(region) != tuple(live):
            await self._share(region, specs, live, full)
            self.shared_among[region] = tuple(live)
        elif changed:
            plans = {n: p for (r, n), p in self.plans.items() if r == region}
            for node, (upserts, removals) in sorted(
                plan_changes(plans, specs, changed, live).items()
            ):
                await self._send(region, node, plans[node], upserts, removals, full=False)
                plans[node].record(upserts, removals)

    async def _share(
        self, region: str, specs: dict[int, TestSpec], live: list[str], full: Collection[Key]
    ) -> None:
        """Share all of the region's tests among its live nodes and send each its diff."""
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
        # A node that died before it was served gets its full set when it appears again.
        self.owed_full -= {(region, n) for r, n in self.owed_full if r == region and n not in live}

    def _alert(self, region: str, stranded: bool) -> None:
        if stranded and region not in self.stranded:
            self.stranded.add(region)
            log.error(
                "operator alert: region has tests but no live executor node; its"
                " silence is not counted as the sites being down",
                extra={"region": region, "alert": "region_without_nodes"},
            )
        elif not stranded and region in self.stranded:
            self.stranded.discard(region)
            log.warning("region has a live executor node again", extra={"region": region})

    async def _send(
        self,
        region: str,
        node: str,
        plan: NodePlan,
        upserts: list[TestSpec],
        removals: list[int],
        full: bool,
    ) -> None:
        plan.seq += 1
        message = Assignment(
            self.cell, region, self.generation, plan.seq, full, upserts, removals, node=node
        )
        body = amqp.persistent(encode_assignment(message))
        body.headers = {names.SENT_AT_HEADER: time.time_ns() // 1_000_000}
        await self.exchange.publish(body, routing_key=names.assignments_key(region, node))
        log.info(
            "assignments sent",
            extra={
                "region": region,
                "node": node,
                "seq": plan.seq,
                "full": full,
                "upserts": len(upserts),
                "removals": len(removals),
            },
        )

    async def on_resync(self, message: AbstractIncomingMessage) -> None:
        request = await amqp.decode_or_dead_letter(message, decode_resync, "resync request")
        if request is None:
            return
        log.info(
            "resync requested",
            extra={"region": request.region, "node": request.node, "reason": request.reason},
        )
        # A node that missed something may be one of many: read everything again first.
        # A node not yet live gets its full set when its first heartbeat makes it live.
        try:
            await self.refresh(full=True, asked_at=time.monotonic())
        except Exception:  # the view is as of the last poll: good enough to answer from
            log.exception("reading the tests for a resync failed")
        await self.sync(full={(request.region, request.node)})
        await message.ack()

    async def on_check_now(self, message: AbstractIncomingMessage) -> None:
        """A node saw a test fail: ask the node holding it in each other region to check
        it now, so the incident confirms in seconds rather than at the next interval."""
        request = await amqp.decode_or_dead_letter(message, decode_check_now, "check now")
        if request is None:
            return
        asked = (
            checknow.targets(self.plans, request.test_id, request.region, self.registry.is_live)
            if request.cell == self.cell
            else []
        )
        body = encode_check_now(request)
        for region, node in asked:
            await self.exchange.publish(
                aio_pika.Message(
                    body,
                    content_type="application/msgpack",
                    type=names.CHECK_NOW_TYPE,
                    expiration=names.CHECK_NOW_TTL_MS / 1000,
                ),
                routing_key=names.node_check_now_key(region, node),
            )
        CHECK_NOW_FORWARDED.inc(len(asked))
        log.info(
            "check now",
            extra={
                "test_id": request.test_id,
                "from": request.region,
                "asked": [f"{r}/{n}" for r, n in asked],
            },
        )
        await message.ack()

    async def on_heartbeat(self, message: AbstractIncomingMessage) -> None:
        beat = await amqp.decode_or_dead_letter(message, decode_heartbeat, "heartbeat")
        if beat is None:
            return
        key = (beat.region, beat.node)
        if not self.registry.is_live(*key):
            # Owed before the registry counts it live (at once, before its database write):
            # a poll's sync that sees it live first sends the full set, and only that one.
            self.owed_full.add(key)
        appeared = await self.registry.beat(beat)
        await message.ack()
        if appeared:
            log.info(
                "node live",
                extra={"region": beat.region, "node": beat.node, "version": beat.version},
            )
            await self.sync()


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Stand by until this scheduler holds the cell's lock, lead until it is lost or `stop`,
    then stand by again (scheduler/leader.py)."""
    leadership = Leadership(settings.database_url, settings.cell, settings.scheduler_takeover_s)
    watchdog = Watchdog(settings.scheduler_watchdog_s)
    connection = await amqp.connect(settings.amqp_url)  # kept while standing by: ready to lead
    health.HEALTH.watch("broker", health.broker(connection))
    health.HEALTH.watch("database", leadership.alive)
    try:
        async with connection:
            while await _stand_by(leadership, stop):
                await _lead_until_lost(settings, connection, leadership, watchdog, stop)
    finally:
        await leadership.close()


async def _stand_by(leadership: Leadership, stop: asyncio.Event) -> bool:
    if stop.is_set():
        return False
    health.HEALTH.role = "standby"
    LEADING.set(0)
    log.info("scheduler standing by: another scheduler of the cell may lead")
    return await leadership.acquire(stop)


async def _lead_until_lost(
    settings: Settings,
    connection: AbstractRobustConnection,
    leadership: Leadership,
    watchdog: Watchdog,
    stop: asyncio.Event,
) -> None:
    health.HEALTH.role = "leading"
    LEADING.set(1)
    holding = asyncio.create_task(leadership.hold())
    watchdog.arm()  # from here, a start-up or poll that never finishes ends the process
    failed = False
    try:
        await lead(settings, connection, stop, leadership.lost, watchdog)
    except Exception:  # the broker or database went while leading: another may lead now
        log.exception("leading failed: giving the lock up and standing by again")
        failed = True
    finally:
        watchdog.disarm()
        holding.cancel()
        await leadership.release()
    if failed:  # not at once: a broker that is down would make this a hot loop
        await _wait_any(stop, asyncio.Event(), settings.scheduler_takeover_s / 5)


async def lead(
    settings: Settings,
    connection: AbstractRobustConnection,
    stop: asyncio.Event,
    lost: asyncio.Event,
    watchdog: Watchdog,
) -> None:
    """The leader's work, in a new generation: every duty that must run once per cell."""
    engine = db.engine(settings.database_url, pool_size=2)
    try:
        async with await connection.channel() as channel:  # closing it cancels the consumers
            scheduler = await _start(settings, engine, channel)
            log.info(
                "scheduler leading",
                extra={"cell": settings.cell, "generation": scheduler.generation},
            )
            while not (stop.is_set() or lost.is_set()):
                watchdog.fed()
                await _wait_any(stop, lost, settings.scheduler_poll_s)
                if not (stop.is_set() or lost.is_set()):
                    await _sync_logged(scheduler)
    finally:
        await engine.dispose()


async def _start(settings: Settings, engine: AsyncEngine, channel: AbstractChannel) -> Scheduler:
    exchange = await channel.declare_exchange(names.ASSIGNMENTS_EXCHANGE, "topic", durable=True)
    registry = Registry(engine, settings.node_dead_after_s, settings.max_clock_skew_s)
    await registry.restore()  # the nodes the previous leader heard from still count as live
    scheduler = Scheduler(settings, engine, exchange, registry)
    await scheduler.refresh()  # the first read is a full one
    await scheduler.sync()  # every node with a plan is new to this generation: full sets
    resync = await amqp.resync_queue(channel, settings.cell)
    await resync.consume(scheduler.on_resync)
    beats = await amqp.heartbeats_queue(channel, settings.cell)
    await beats.consume(scheduler.on_heartbeat)
    asks = await amqp.check_now_queue(channel, settings.cell)
    await asks.consume(scheduler.on_check_now)
    return scheduler


async def _wait_any(stop: asyncio.Event, lost: asyncio.Event, timeout: float) -> None:
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


async def _sync_logged(scheduler: Scheduler) -> None:
    try:
        await scheduler.refresh()
    except Exception:  # a database blip must not stop the scheduler; the next poll retries
        log.exception("reading the tests failed")
    try:  # nodes come and go whether or not the database answers
        await scheduler.sync()
    except Exception:  # a broker blip neither
        log.exception("sync failed")


async def _prune_logged(
    engine: AsyncEngine, seen: list[changes.Seen], below: int | None = None
) -> None:
    try:
        await changes.prune(engine, seen, below)
    except Exception:  # kept rows are read again (harmlessly); the next full read prunes
        log.exception("pruning test deletions failed")
