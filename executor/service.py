"""`vigil executor --region R`: consume assignments, run tests, publish result batches."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage

from executor import gctune, heartbeat, httpclient, spill, statefile
from executor.batcher import Batcher, SpillEarly
from executor.checks.base import CheckContext
from executor.dispatcher import Dispatcher
from executor.holdings import Decision, Position, decide
from shared import amqp, health, names
from shared.checkspec import NETWORK_ERROR_KINDS
from shared.codec import (
    decode_assignment,
    decode_check_now,
    encode_check_now,
    encode_heartbeat,
    encode_resync,
)
from shared.config import Settings
from shared.messages import Assignment, CheckNow, Heartbeat, Result, ResyncRequest, TestSpec

log = logging.getLogger(__name__)

RESYNC_MIN_GAP_S = 5.0  # ask a cell for its full set at most this often
STOP_FLUSH_S = 10.0  # a stop waits this long for the broker to take the last results


class Executor:
    def __init__(
        self, settings: Settings, region: str, channel: AbstractChannel, ctx: CheckContext
    ) -> None:
        self.settings = settings
        self.region = region
        self.channel = channel
        self.spill_dir = spill.dir_for(settings.state_dir, region, settings.node_id)
        self.replay_wake = asyncio.Event()  # the batcher let go of batches now only on disk
        early = SpillEarly(
            self.spill_dir,
            settings.spill_after_s,
            settings.spill_memory_batches,
            on_let_go=self.replay_wake.set,
        )
        self.batcher = Batcher(
            self.publish_results,
            region,
            settings.node_id,
            settings.batch_max_results,
            settings.batch_max_delay_s,
            spill_early=early,
        )
        self.tally = heartbeat.Tally()
        self.dispatcher = Dispatcher(
            ctx, self.record, settings.executor_concurrency, ask=self.ask_others
        )
        self._asking: set[asyncio.Task[None]] = set()
        self.positions: dict[str, Position] = {}
        self._resync_asked: dict[str, float] = {}
        self._up: AbstractExchange | None = None
        self.clock = heartbeat.ClockOffset()
        self.version = heartbeat.version()
        self.keeper = statefile.Keeper(
            statefile.path_for(settings.state_dir, region, settings.node_id), region, self.holdings
        )

    def record(self, cell: str, result: Result) -> None:
        """Every result: counted for the heartbeat (is this node's network fine?), batched."""
        self.tally.add(result.error_kind in NETWORK_ERROR_KINDS)
        self.batcher.add(cell, result)

    def holdings(self) -> statefile.Holdings:
        return {cell: (pos, self.dispatcher.held(cell)) for cell, pos in self.positions.items()}

    def restore(self) -> None:
        """Resume what we held before a restart, at once; the resync at start corrects it."""
        for cell, (position, specs) in statefile.load(self.keeper.path, self.region).items():
            self.dispatcher.replace_cell(cell, specs)
            self.positions[cell] = position
        if self.positions:
            log.info(
                "holdings restored",
                extra={"cells": sorted(self.positions), "held": len(self.dispatcher.held())},
            )

    async def declare(self) -> aio_pika.abc.AbstractQueue:
        """Everything goes up through `vigil.up` of our own broker (the region's, or the
        centre's for the local region); our assignments come down to a queue of our own."""
        self._up = await amqp.up_exchange(self.channel)
        return await amqp.node_assignments_queue(self.channel, self.region, self.settings.node_id)

    async def publish_results(self, cell: str, body: bytes) -> None:
        """Publish one batch; returns once the broker has confirmed it. Unroutable (no cell
        consumer yet), refused (a full region uplink) or unconfirmed for CONFIRM_TIMEOUT_S (the
        broker then left for the next) raises, and the batcher retries; the batch id lets the
        processor store a batch published twice once."""
        assert self._up is not None
        await amqp.publish_confirmed(
            self._up, amqp.persistent(body, encoding="zstd"), cell, mandatory=True
        )

    def heartbeat(self) -> Heartbeat:
        checks, network_failures = self.tally.totals()
        return Heartbeat(
            region=self.region,
            node=self.settings.node_id,
            version=self.version,
            sent_at_ms=heartbeat.now_ms(),
            interval_s=self.settings.heartbeat_interval_s,
            load=heartbeat.load(),
            tests_held=len(self.dispatcher.held()),
            backlog=self.batcher.backlog(),
            clock_offset_ms=self.clock.estimate(),
            checks=checks,
            network_failures=network_failures,
        )

    async def publish_heartbeat(self, beat: Heartbeat) -> None:
        assert self._up is not None
        message = aio_pika.Message(
            encode_heartbeat(beat),
            content_type="application/msgpack",
            expiration=self.settings.node_dead_after_s,
        )  # stale beats must not revive a node
        await self._up.publish(
            message, mandatory=False, routing_key=names.heartbeat_key(self.region, beat.node)
        )

    async def ask_resync(self, cell: str, reason: str) -> None:
        last = self._resync_asked.get(cell, 0.0)
        if time.monotonic() - last < RESYNC_MIN_GAP_S:
            return
        self._resync_asked[cell] = time.monotonic()
        assert self._up is not None
        body = encode_resync(ResyncRequest(cell, self.region, self.settings.node_id, reason))
        # Not mandatory: with no scheduler up yet, its start sends the full set anyway.
        await self._up.publish(
            amqp.persistent(body), routing_key=names.resync_key(cell), mandatory=False
        )
        log.info("asked for resync", extra={"cell": cell, "reason": reason})

    def ask_others(self, spec: TestSpec, at_ms: int) -> None:
        """The dispatcher saw a test of several regions fail here: ask its cell's scheduler
        to have the other regions check it now (in the background; best effort)."""
        request = CheckNow(spec.cell, spec.id, self.region, self.settings.node_id, at_ms)
        task = asyncio.create_task(self.publish_check_now(request))
        self._asking.add(task)
        task.add_done_callback(self._asking.discard)

    async def publish_check_now(self, request: CheckNow) -> None:
        assert self._up is not None
        message = aio_pika.Message(
            encode_check_now(request),
            content_type="application/msgpack",
            expiration=names.CHECK_NOW_TTL_MS / 1000,
        )
        try:  # lost with a cut link or a busy broker: the next interval confirms instead
            await self._up.publish(
                message, routing_key=names.check_now_key(request.cell), mandatory=False
            )
        except Exception:
            log.warning(
                "check-now request not sent", extra={"test_id": request.test_id}, exc_info=True
            )

    async def on_check_now(self, message: AbstractIncomingMessage) -> None:
        request = await amqp.decode_or_dead_letter(message, decode_check_now, "check now")
        if request is None:
            return
        started = self.dispatcher.check_now(request.cell, request.test_id, request.region)
        log.info(
            "check now",
            extra={
                "cell": request.cell,
                "test_id": request.test_id,
                "from": request.region,
                "started": started,
            },
        )
        await message.ack()

    async def on_assignment(self, message: AbstractIncomingMessage) -> None:
        if message.type == names.CHECK_NOW_TYPE:  # the same queue, off the numbered sequence
            await self.on_check_now(message)
            return
        assignment = await amqp.decode_or_dead_letter(message, decode_assignment, "assignment")
        if assignment is None:
            return
        sent = (message.headers or {}).get(names.SENT_AT_HEADER)
        if isinstance(sent, int):
            self.clock.sample(sent, heartbeat.now_ms())
        await self.apply(assignment)
        await message.ack()

    async def apply(self, a: Assignment) -> None:
        decision = decide(self.positions.get(a.cell), a)
        if decision is Decision.RESYNC:
            await self.ask_resync(a.cell, f"gap before {a.generation}/{a.seq}")
            return
        if decision is Decision.IGNORE:
            return
        if a.full:
            self.dispatcher.replace_cell(a.cell, a.upserts)
        else:
            for spec in a.upserts:
                self.dispatcher.upsert(spec)
            for test_id in a.removals:
                self.dispatcher.remove(a.cell, test_id)
        self.positions[a.cell] = Position(a.generation, a.seq)
        self.keeper.changed()
        log.info(
            "assignments applied",
            extra={
                "cell": a.cell,
                "seq": a.seq,
                "full": a.full,
                "upserts": len(a.upserts),
                "removals": len(a.removals),
                "held": len(self.dispatcher.held(a.cell)),
            },
        )


def http_session(settings: Settings) -> httpclient.Client:
    return httpclient.Client(settings.allow_private_targets)


def spill_at_stop(folder: Path, batcher: Batcher) -> None:
    """The broker did not take the last results in time: keep them on disk for the next start
    (those spilled early already are there)."""
    unsent = batcher.to_spill()
    lost = spill.write(folder, unsent) if unsent else []
    lost_results = sum(x.results for x in lost)
    if len(lost) < len(unsent):
        log.warning(
            "results spilled to disk at stop",
            extra={
                "batches": len(unsent) - len(lost),
                "results": sum(b.rows for b in unsent) - lost_results,
                "path": str(folder),
            },
        )
    if lost:  # nothing more can be done for these: say exactly what is gone
        log.error(
            "results lost at stop: not published, not written to disk",
            extra={
                "batches": len(lost),
                "results": lost_results,
                "path": str(folder),
                "batch_ids": [x.batch_id for x in lost],
                "error": lost[0].error,
            },
        )


async def wind_down(executor: Executor, tasks: list[asyncio.Task[None]], spilled: Path) -> None:
    """Stop checking, then publish what was checked before we go, or keep it on disk."""
    for task in tasks:
        task.cancel()
    try:
        await executor.dispatcher.stop()
        await executor.keeper.save_now()
        await asyncio.wait_for(executor.batcher.flush(), STOP_FLUSH_S)
    except TimeoutError:  # the broker is gone or refusing
        spill_at_stop(spilled, executor.batcher)
    except BaseException:  # anything else (the stop itself cancelled): the results are kept too
        spill_at_stop(spilled, executor.batcher)
        raise


async def serve(settings: Settings, region: str, stop: asyncio.Event) -> None:
    connection = await amqp.connect(settings.amqp_url)
    health.HEALTH.watch("broker", health.broker(connection))  # an executor has no database
    async with connection, http_session(settings) as session:
        channel = await connection.channel(on_return_raises=True)
        await channel.set_qos(prefetch_count=64)
        ctx = CheckContext(session, settings.max_body_bytes, settings.allow_private_targets)
        executor = Executor(settings, region, channel, ctx)
        executor.restore()
        gctune.tune()
        tasks = [
            asyncio.create_task(executor.dispatcher.run()),
            asyncio.create_task(executor.keeper.run()),
        ]
        spilled = executor.spill_dir
        try:  # from here on, whatever fails, what was checked is published or spilled
            await _run(executor, tasks, spilled, stop)
        finally:
            await wind_down(executor, tasks, spilled)
        log.info("executor stopped", extra={"published": executor.batcher.published})


async def _run(
    executor: Executor, tasks: list[asyncio.Task[None]], spilled: Path, stop: asyncio.Event
) -> None:
    settings, region = executor.settings, executor.region
    queue = await executor.declare()
    tasks.append(asyncio.create_task(executor.batcher.run()))
    # What an earlier run could not publish: one try per file and pass (one refused cell
    # does not hold up the others), passes repeated with a growing pause until all are out;
    # again whenever the batcher lets go of spilled batches (past its memory bound).
    tasks.append(
        asyncio.create_task(
            spill.keep_replaying(
                spilled,
                executor.publish_results,
                executor.replay_wake,
                legacy=spill.root(settings.state_dir),
                held=executor.batcher.held,
            )
        )
    )
    await executor.ask_resync(names.RESYNC_ALL, "executor started")
    tasks.append(
        asyncio.create_task(
            heartbeat.run(
                executor.publish_heartbeat, executor.heartbeat, settings.heartbeat_interval_s
            )
        )
    )
    await queue.consume(executor.on_assignment)
    log.info("executor running", extra={"region": region, "node": settings.node_id})
    await stop.wait()
