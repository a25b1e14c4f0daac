"""The executor against the real RabbitMQ and a real local HTTP target."""

import asyncio
from collections.abc import AsyncIterator

import aio_pika
import pytest

from executor.service import serve
from shared import amqp, names
from shared.codec import decode_batch, decode_resync, encode_assignment
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
    await amqp.assignments_queue(channel, region)  # so an assignment sent now is kept
    settings = Settings.from_env({"VIGIL_AMQP_URL": amqp_url, "VIGIL_ALLOW_PRIVATE_TARGETS": "1",
                                  "VIGIL_BATCH_MAX_DELAY": "0.2", "VIGIL_NODE_ID": "node-t",
                                  "VIGIL_STATE_DIR": str(tmp_path)})
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, region, stop))
    ex = await channel.declare_exchange(names.ASSIGNMENTS_EXCHANGE, "topic", durable=True)

    async def assign(msg: Assignment) -> None:
        await ex.publish(amqp.persistent(encode_assignment(msg)),
                         routing_key=names.assignments_key(region))

    yield region, cell, assign, results, resyncs
    stop.set()
    await asyncio.wait_for(task, 15)
    await broker.close()


async def test_assigned_tests_run_and_batches_come_back(running) -> None:
    region, cell, assign, results, _ = running
    async with serve_target(target_app()) as base:
        specs = [TestSpec(1, cell, region, "http", 1, 2.0, {"url": f"{base}/ok"}, 1),
                 TestSpec(2, cell, region, "http", 1, 2.0, {"url": f"{base}/status/500"}, 1)]
        await assign(Assignment(cell, region, "g", 1, True, specs))
        seen: dict[int, set[Status]] = {1: set(), 2: set()}
        async with results.iterator(timeout=20) as it:
            async for message in it:
                await message.ack()
                batch, rejected = decode_batch(message.body)
                assert (batch.cell, batch.region, batch.node, rejected) == (
                    cell, region, "node-t", [])
                for r in batch.results:
                    seen[r.test_id].add(r.status)
                if all(seen.values()):
                    break
    assert seen == {1: {Status.UP}, 2: {Status.DOWN}}


async def test_a_gap_or_garbage_makes_the_executor_ask_for_a_resync(running) -> None:
    region, cell, assign, _, resyncs = running
    await assign(Assignment(cell, region, "g", 1, True, []))
    await assign(Assignment(cell, region, "g", 3, False, []))  # seq 2 went missing
    async with resyncs.iterator(timeout=20) as it:
        async for message in it:
            await message.ack()
            request = decode_resync(message.body)
            if request.cell == cell:
                break
    assert request.region == region and "gap" in request.reason
