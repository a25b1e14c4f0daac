"""The executor against the real RabbitMQ and a real local HTTP target."""

import asyncio
from collections.abc import AsyncIterator

import aio_pika
import pytest

from executor.service import serve
from shared import amqp, names
from shared.codec import decode_batch, decode_heartbeat, decode_resync, encode_assignment
from shared.config import Settings
from shared.messages import Assignment, Status, TestSpec
from tests.helpers import short_name
from tests.targets import serve as serve_target
from tests.targets import target_app

pytestmark = pytest.mark.integration


@pytest.fixture
async def running(amqp_url: str, tmp_path) -> AsyncIterator[tuple]:
    region, cell = short_name("r"), short_name("c")
    broker = await aio_pika.connect(amqp_url)
    channel = await broker.channel()
    results = await amqp.results_queue(channel, cell)
    resyncs = await amqp.resync_queue(channel, cell)
    await amqp.node_assignments_queue(channel, region, "node-t")  # keeps what is sent now
    beats = await amqp.heartbeats_queue(channel, cell)
    settings = Settings.from_env(
        {
            "VIGIL_AMQP_URL": amqp_url,
            "VIGIL_ALLOW_PRIVATE_TARGETS": "1",
            "VIGIL_BATCH_MAX_DELAY": "0.2",
            "VIGIL_NODE_ID": "node-t",
            "VIGIL_HEARTBEAT_INTERVAL": "0.2",
            "VIGIL_STATE_DIR": str(tmp_path),
        }
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, region, stop))
    ex = await channel.declare_exchange(names.ASSIGNMENTS_EXCHANGE, "topic", durable=True)

    async def assign(msg: Assignment, headers: dict | None = None) -> None:
        message = amqp.persistent(encode_assignment(msg))
        message.headers = headers or {}
        await ex.publish(message, routing_key=names.assignments_key(region, "node-t"))

    yield region, cell, assign, results, resyncs, beats
    stop.set()
    await asyncio.wait_for(task, 15)
    await broker.close()


async def test_assigned_tests_run_and_batches_come_back(running) -> None:
    region, cell, assign, results, _, _ = running
    async with serve_target(target_app()) as base:
        specs = [
            TestSpec(1, cell, region, "http", 1, 2.0, {"url": f"{base}/ok"}, 1),
            TestSpec(2, cell, region, "http", 1, 2.0, {"url": f"{base}/status/500"}, 1),
        ]
        await assign(Assignment(cell, region, "g", 1, True, specs))
        seen: dict[int, set[Status]] = {1: set(), 2: set()}
        async with results.iterator(timeout=20) as it:
            async for message in it:
                await message.ack()
                batch, rejected = decode_batch(message.body)
                assert (batch.cell, batch.region, batch.node, rejected) == (
                    cell,
                    region,
                    "node-t",
                    [],
                )
                for r in batch.results:
                    seen[r.test_id].add(r.status)
                if all(seen.values()):
                    break
    assert seen == {1: {Status.UP}, 2: {Status.DOWN}}


async def test_a_gap_or_garbage_makes_the_executor_ask_for_a_resync(running) -> None:
    region, cell, assign, _, resyncs, _ = running
    await assign(Assignment(cell, region, "g", 1, True, []))
    await assign(Assignment(cell, region, "g", 3, False, []))  # seq 2 went missing
    async with resyncs.iterator(timeout=20) as it:
        async for message in it:
            await message.ack()
            request = decode_resync(message.body)
            if request.cell == cell:
                break
    assert request.region == region and "gap" in request.reason


async def test_heartbeats_say_who_and_how_many_tests(running) -> None:
    region, cell, assign, _, _, beats = running
    spec = TestSpec(7, cell, region, "http", 60, 2.0, {"url": "http://127.0.0.1:9/"}, 1)
    await assign(
        Assignment(cell, region, "g", 1, True, [spec]),
        headers={names.SENT_AT_HEADER: 1_700_000_000_000},
    )
    async with beats.iterator(timeout=20) as it:
        async for incoming in it:
            await incoming.ack()
            beat = decode_heartbeat(incoming.body)
            if beat.region == region and beat.tests_held == 1 and beat.clock_offset_ms:
                break
    assert beat.node == "node-t" and beat.version and beat.interval_s == 0.2
    assert beat.clock_offset_ms > 0  # our clock is well past the stamp we sent


async def test_one_node_serves_every_cell_and_each_result_goes_home(running, amqp_url) -> None:
    region, cell, assign, results, _, _ = running
    other = short_name("c")
    broker = await aio_pika.connect(amqp_url)
    async with broker, serve_target(target_app()) as base:
        other_results = await amqp.results_queue(await broker.channel(), other)
        for owner, generation in ((cell, "g"), (other, "h")):  # the same test id, two cells
            spec = TestSpec(11, owner, region, "http", 1, 2.0, {"url": f"{base}/ok"}, 1)
            await assign(Assignment(owner, region, generation, 1, True, [spec]))
        for queue, home in ((results, cell), (other_results, other)):
            async with queue.iterator(timeout=20) as it:
                async for message in it:
                    await message.ack()
                    batch, _ = decode_batch(message.body)
                    assert batch.cell == home and {r.test_id for r in batch.results} == {11}
                    break
        await other_results.delete(if_unused=False, if_empty=False)
