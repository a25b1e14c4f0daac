"""Results the broker does not take by a stop are spilled to disk and sent at the next start.

The broker refuses them for real: no queue is bound for the cell yet, so every mandatory
publish comes back unroutable and the stop's flush runs out of time.
"""

import asyncio
from pathlib import Path

import aio_pika
import pytest

from executor import service
from shared import amqp, names
from shared.codec import decode_batch, encode_assignment
from shared.config import Settings
from shared.messages import Assignment, Result, Status, TestSpec
from tests.helpers import short_name
from tests.targets import serve as serve_target
from tests.targets import target_app

pytestmark = pytest.mark.integration


async def _batch_ids_of(queue: aio_pika.abc.AbstractQueue, want: set[bytes]) -> set[bytes]:
    seen: set[bytes] = set()
    async with queue.iterator(timeout=20) as it:
        async for message in it:
            await message.ack()
            seen.add(decode_batch(message.body)[0].batch_id)
            if want <= seen:
                break
    return seen


async def _gone(folder: Path) -> bool:
    for _ in range(50):  # the file is deleted just after the confirm
        if not list(folder.glob("*.batch")):
            return True
        await asyncio.sleep(0.1)
    return False


async def test_unsent_results_spill_at_stop_and_go_out_at_the_next_start(
        amqp_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "STOP_FLUSH_S", 1.0)
    region, cell = short_name("r"), short_name("c")
    broker = await aio_pika.connect(amqp_url)
    channel = await broker.channel()
    await amqp.node_assignments_queue(channel, region, "node-s")
    ex = await channel.declare_exchange(names.ASSIGNMENTS_EXCHANGE, "topic", durable=True)
    settings = Settings.from_env({
        "VIGIL_AMQP_URL": amqp_url, "VIGIL_ALLOW_PRIVATE_TARGETS": "1",
        "VIGIL_BATCH_MAX_DELAY": "0.2", "VIGIL_NODE_ID": "node-s",
        "VIGIL_STATE_DIR": str(tmp_path)})
    folder = tmp_path / "spill"
    async with serve_target(target_app()) as base:
        spec = TestSpec(51, cell, region, "http", 1, 2.0, {"url": f"{base}/ok"}, 1)
        stop = asyncio.Event()
        first = asyncio.create_task(service.serve(settings, region, stop))
        await ex.publish(amqp.persistent(encode_assignment(
            Assignment(cell, region, "g", 1, True, [spec], node="node-s"))),
            routing_key=names.assignments_key(region, "node-s"))
        await asyncio.sleep(2.5)  # a few checks, none of them publishable
        stop.set()
        await asyncio.wait_for(first, 15)

        spilled = {decode_batch(p.read_bytes())[0].batch_id: p for p in folder.glob("*.batch")}
        assert spilled, "the unsent results are on disk"
        for batch_id, path in spilled.items():
            batch, rejected = decode_batch(path.read_bytes())
            assert path.name == f"{batch_id.hex()}.batch" and rejected == []
            assert batch.cell == cell and {r.test_id for r in batch.results} == {51}
        (folder / "garbage.batch").write_bytes(b"\x00not a batch at all")
        whole = next(iter(spilled.values())).read_bytes()
        (folder / "truncated.batch").write_bytes(whole[: len(whole) // 2])

        # The cell's queue exists now: the next start sends the spilled batches, same ids.
        results = await amqp.results_queue(channel, cell)
        stop = asyncio.Event()
        second = asyncio.create_task(service.serve(settings, region, stop))
        try:
            seen = await asyncio.wait_for(_batch_ids_of(results, set(spilled)), 30)
            assert set(spilled) <= seen
            assert await _gone(folder), "each file is deleted once confirmed"
            assert sorted(p.name for p in (folder / "bad").iterdir()) == [
                "garbage.batch", "truncated.batch"]
            assert not second.done(), "bad files do not stop the executor"
        finally:
            stop.set()
            await asyncio.wait_for(second, 15)
    await broker.close()


async def test_a_spill_that_cannot_be_written_is_logged_not_raised(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async def refuse(cell: str, body: bytes) -> None:
        raise AssertionError("not published in this test")

    batcher = service.Batcher(refuse, "r", "n", 10, 1.0)
    batcher.add("c", Result(1, 1_700_000_000_000, Status.UP, 12.0))
    blocked = tmp_path / "spill"
    blocked.write_bytes(b"a file where the folder should be")
    service.spill_at_stop(blocked, batcher)
    assert "results not published at stop" in caplog.text
    assert batcher.backlog() == 1 and len(batcher.unsent()) == 1  # sealed once, id kept
