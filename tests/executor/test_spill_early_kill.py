"""An executor killed outright (SIGKILL) during a broker outage loses nothing it had
spilled: the next start sends every spilled batch, each once.

The outage is real refusal: no queue is bound for the cell yet, so every mandatory publish
comes back unroutable. The executor is a real `vigil executor` subprocess.
"""

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aio_pika
import pytest

from shared import amqp, names
from shared.codec import decode_batch, encode_assignment
from shared.messages import Assignment, TestSpec
from tests.helpers import eventually, short_name
from tests.targets import serve as serve_target
from tests.targets import target_app

pytestmark = pytest.mark.integration
NODE = "node-k"


@contextmanager
def executor(region: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    argv = [sys.executable, "-m", "ops.cli", "executor", "--region", region]
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            argv, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)


def _ids(folder: Path) -> set[bytes]:
    return {bytes.fromhex(p.name.removesuffix(".batch")) for p in folder.glob("*.batch")}


async def test_spilled_batches_survive_a_sigkill_and_go_out_once(
    amqp_url: str, tmp_path: Path
) -> None:
    region, cell = short_name("r"), short_name("c")
    broker = await aio_pika.connect(amqp_url)
    channel = await broker.channel()
    await amqp.node_assignments_queue(channel, region, NODE)
    exchange = await channel.declare_exchange(names.ASSIGNMENTS_EXCHANGE, "topic", durable=True)
    env = {
        "VIGIL_AMQP_URL": amqp_url,
        "VIGIL_ALLOW_PRIVATE_TARGETS": "1",
        "VIGIL_NODE_ID": NODE,
        "VIGIL_STATE_DIR": str(tmp_path / "state"),
        "VIGIL_BATCH_MAX_DELAY": "0.2",
        "VIGIL_SPILL_AFTER": "1",
        "VIGIL_SPILL_MEMORY_BATCHES": "3",
        "VIGIL_LOG_FORMAT": "text",
    }
    folder = tmp_path / "state" / "spill" / region / NODE
    log = tmp_path / "executor.log"
    async with serve_target(target_app()) as base:
        spec = TestSpec(71, cell, region, "http", 1, 2.0, {"url": f"{base}/ok"}, 1)
        with executor(region, env, log) as first:
            await exchange.publish(
                amqp.persistent(
                    encode_assignment(Assignment(cell, region, "g", 1, True, [spec], node=NODE))
                ),
                routing_key=names.assignments_key(region, NODE),
            )
            # Results are checked, refused (unroutable), and spilled one second later.
            await eventually(
                lambda: _async(len(_ids(folder)) >= 6), "6 spilled batches", timeout=60
            )
            assert first.poll() is None, log.read_text()
            first.send_signal(signal.SIGKILL)  # no orderly stop: only the disk remains
            await asyncio.to_thread(first.wait, 30)
        spilled = _ids(folder)
        text = log.read_text()
        assert "unconfirmed results spilled to disk" in text
        assert "spilled batches let go of memory" in text, "the memory bound was reached"
        assert "results spilled to disk at stop" not in text, "the kill left no time for it"

        # The link is back (the cell's queue exists): the next start sends every batch.
        results = await amqp.results_queue(channel, cell)
        seen: Counter[bytes] = Counter()

        async def take_all() -> None:
            while (message := await results.get(fail=False)) is not None:
                await message.ack()
                seen[decode_batch(message.body)[0].batch_id] += 1

        async def all_spilled_seen() -> bool:
            await take_all()
            return spilled <= set(seen)

        with executor(region, env, log) as second:
            await eventually(all_spilled_seen, "every spilled batch published", timeout=60)
            await eventually(lambda: _async(not _ids(folder)), "the spill folder emptied")
            assert second.poll() is None, log.read_text()
            second.terminate()
            assert await asyncio.to_thread(second.wait, 30) == 0
        await take_all()
    assert seen and max(seen.values()) == 1, "no batch published twice"
    await broker.close()


async def _async(value: object) -> object:
    return value
