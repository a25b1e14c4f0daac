"""An executor restarted while no scheduler runs resumes its tests from its state file."""

import asyncio
from pathlib import Path

import aio_pika
import pytest

from executor.service import serve
from shared import amqp, names
from shared.codec import decode_batch, encode_assignment
from shared.config import Settings
from shared.messages import Assignment, TestSpec
from tests.helpers import short_name
from tests.targets import serve as serve_target
from tests.targets import target_app

pytestmark = pytest.mark.integration


async def _results_of(queue: aio_pika.abc.AbstractQueue, test_id: int, want: int) -> int:
    got = 0
    async with queue.iterator(timeout=20) as it:
        async for message in it:
            await message.ack()
            batch, _ = decode_batch(message.body)
            got += sum(1 for r in batch.results if r.test_id == test_id)
            if got >= want:
                return got
    return got


async def test_restart_resumes_checking_without_the_scheduler(
    amqp_url: str, tmp_path: Path
) -> None:
    region, cell = short_name("r"), short_name("c")
    broker = await aio_pika.connect(amqp_url)
    channel = await broker.channel()
    results = await amqp.results_queue(channel, cell)
    await amqp.node_assignments_queue(channel, region, "node-r")
    ex = await channel.declare_exchange(names.ASSIGNMENTS_EXCHANGE, "topic", durable=True)
    settings = Settings.from_env(
        {
            "VIGIL_AMQP_URL": amqp_url,
            "VIGIL_ALLOW_PRIVATE_TARGETS": "1",
            "VIGIL_BATCH_MAX_DELAY": "0.2",
            "VIGIL_NODE_ID": "node-r",
            "VIGIL_STATE_DIR": str(tmp_path),
        }
    )
    async with serve_target(target_app()) as base:
        spec = TestSpec(41, cell, region, "http", 1, 2.0, {"url": f"{base}/ok"}, 1)
        stop = asyncio.Event()
        first = asyncio.create_task(serve(settings, region, stop))
        await ex.publish(
            amqp.persistent(
                encode_assignment(Assignment(cell, region, "g", 1, True, [spec], node="node-r"))
            ),
            routing_key=names.assignments_key(region, "node-r"),
        )
        assert await _results_of(results, 41, 1) >= 1
        stop.set()
        await asyncio.wait_for(first, 15)
        assert list(tmp_path.glob("*.msgpack")), "the executor saved what it held"

        # No scheduler, no new assignment: the restarted executor checks from its file.
        await results.purge()
        stop = asyncio.Event()
        second = asyncio.create_task(serve(settings, region, stop))
        try:
            assert await _results_of(results, 41, 2) >= 2
        finally:
            stop.set()
            await asyncio.wait_for(second, 15)
    await broker.close()
