"""Results the broker does not take by a stop are spilled to disk and sent at the next start.

The broker refuses them for real: no queue is bound for the cell yet, so every mandatory
publish comes back unroutable and the stop's flush runs out of time.
"""

import asyncio
from pathlib import Path
from types import SimpleNamespace

import aio_pika
import pytest

from executor import service, spill
from shared import amqp, names
from shared.codec import decode_batch, encode_assignment, encode_batch
from shared.config import Settings
from shared.messages import Assignment, Result, ResultBatch, Status, TestSpec
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
    amqp_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "STOP_FLUSH_S", 1.0)
    region, cell = short_name("r"), short_name("c")
    broker = await aio_pika.connect(amqp_url)
    channel = await broker.channel()
    await amqp.node_assignments_queue(channel, region, "node-s")
    ex = await channel.declare_exchange(names.ASSIGNMENTS_EXCHANGE, "topic", durable=True)
    settings = Settings.from_env(
        {
            "VIGIL_AMQP_URL": amqp_url,
            "VIGIL_ALLOW_PRIVATE_TARGETS": "1",
            "VIGIL_BATCH_MAX_DELAY": "0.2",
            "VIGIL_NODE_ID": "node-s",
            "VIGIL_STATE_DIR": str(tmp_path),
        }
    )
    folder = tmp_path / "spill" / region / "node-s"  # each executor its own folder
    async with serve_target(target_app()) as base:
        spec = TestSpec(51, cell, region, "http", 1, 2.0, {"url": f"{base}/ok"}, 1)
        stop = asyncio.Event()
        first = asyncio.create_task(service.serve(settings, region, stop))
        await ex.publish(
            amqp.persistent(
                encode_assignment(Assignment(cell, region, "g", 1, True, [spec], node="node-s"))
            ),
            routing_key=names.assignments_key(region, "node-s"),
        )
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
                "garbage.batch",
                "truncated.batch",
            ]
            assert not second.done(), "bad files do not stop the executor"
        finally:
            stop.set()
            await asyncio.wait_for(second, 15)
    await broker.close()


async def test_a_spill_that_cannot_be_written_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def refuse(cell: str, body: bytes) -> None:
        raise AssertionError("not published in this test")

    batcher = service.Batcher(refuse, "r", "n", 10, 1.0)
    batcher.add("c", Result(1, 1_700_000_000_000, Status.UP, 12.0))
    blocked = tmp_path / "spill"
    blocked.write_bytes(b"a file where the folder should be")
    service.spill_at_stop(blocked, batcher)
    assert "results lost at stop" in caplog.text
    assert batcher.backlog() == 1 and len(batcher.to_spill()) == 1  # sealed once, id kept


def _batcher_with(cells: list[str]) -> service.Batcher:
    async def refuse(cell: str, body: bytes) -> None:
        raise AssertionError("not published in this test")

    batcher = service.Batcher(refuse, "r", "n", 10, 1.0)
    for i, cell in enumerate(cells):
        for j in range(i + 1):  # 1, 2, 3... results: each batch its own count
            batcher.add(cell, Result(j + 1, 1_700_000_000_000, Status.UP, 12.0))
    return batcher


def test_a_batch_that_cannot_be_written_does_not_stop_the_others(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    batcher = _batcher_with(["c1", "c2", "c3"])
    ids = [b.batch_id for b in batcher.to_spill()]
    (tmp_path / f"{ids[0]}.batch").mkdir(parents=True)  # the first one's rename fails
    service.spill_at_stop(tmp_path, batcher)
    assert sorted(p.name for p in tmp_path.glob("*.batch") if p.is_file()) == sorted(
        f"{i}.batch" for i in ids[1:]
    ), "the batches after the failed one are on disk"
    assert not list(tmp_path.glob("*.tmp")), "no half-written file left behind"
    lost = next(r for r in caplog.records if r.message.startswith("results lost at stop"))
    assert (lost.batches, lost.results, lost.batch_ids) == (1, 1, [ids[0]])
    spilled = next(r for r in caplog.records if r.message == "results spilled to disk at stop")
    assert (spilled.batches, spilled.results) == (2, 2 + 3)


async def test_a_stop_interrupted_while_flushing_still_spills(tmp_path: Path) -> None:
    async def hang(cell: str, body: bytes) -> None:
        await asyncio.Event().wait()  # a broker that never confirms

    batcher = service.Batcher(hang, "r", "n", 10, 1.0)
    batcher.add("c", Result(1, 1_700_000_000_000, Status.UP, 12.0))

    class Idle:
        async def stop(self) -> None: ...
        async def save_now(self) -> None: ...

    executor = SimpleNamespace(dispatcher=Idle(), keeper=Idle(), batcher=batcher)
    stopping = asyncio.create_task(service.wind_down(executor, [], tmp_path))  # type: ignore[arg-type]
    await asyncio.sleep(0.1)
    stopping.cancel()  # a second Ctrl-C, say, long before the flush times out
    with pytest.raises(asyncio.CancelledError):
        await stopping
    assert len(list(tmp_path.glob("*.batch"))) == 1, "the unconfirmed batch is on disk"


def _spill_file(folder: Path, first_byte: int, cell: str, region: str) -> bytes:
    batch_id = bytes([first_byte]) * 16  # sorts the files in a known order
    body = encode_batch(
        ResultBatch(
            batch_id, cell, region, "node-a", [Result(61, 1_700_000_000_000, Status.UP, 5.0)]
        )
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{batch_id.hex()}.batch").write_bytes(body)
    return batch_id


async def test_replay_retries_a_refusing_broker_and_reads_only_its_own_and_old_files(
    amqp_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spill, "RETRY_FIRST_S", 0.2)
    monkeypatch.setattr(spill, "RETRY_MAX_S", 0.5)
    region, open_cell, new_cell = short_name("r"), short_name("c"), short_name("c")
    broker = await aio_pika.connect(amqp_url)
    channel = await broker.channel()
    await amqp.node_assignments_queue(channel, region, "node-a")
    results = await amqp.results_queue(channel, open_cell)
    root = tmp_path / "spill"
    mine, theirs = root / region / "node-a", root / region / "node-b"
    refused = _spill_file(mine, 0x01, new_cell, region)  # no queue for its cell yet
    own = _spill_file(mine, 0x02, open_cell, region)
    old = _spill_file(root, 0x03, open_cell, region)  # left flat by an older version
    other = _spill_file(theirs, 0x04, open_cell, region)  # another node's: not ours to send
    settings = Settings.from_env(
        {"VIGIL_AMQP_URL": amqp_url, "VIGIL_NODE_ID": "node-a", "VIGIL_STATE_DIR": str(tmp_path)}
    )
    stop = asyncio.Event()
    running = asyncio.create_task(service.serve(settings, region, stop))
    try:
        seen = await asyncio.wait_for(_batch_ids_of(results, {own, old}), 30)
        assert seen == {own, old}, "the refused batch held up nothing"
        assert (mine / f"{refused.hex()}.batch").exists(), "a refused batch is kept"

        later = await amqp.results_queue(channel, new_cell)  # the cell's processor comes up
        assert await asyncio.wait_for(_batch_ids_of(later, {refused}), 30) == {refused}
        assert await _gone(mine), "sent without a restart, then deleted"
        assert not list(root.glob("*.batch")), "the old flat folder is emptied"
        assert [p.name for p in theirs.iterdir()] == [f"{other.hex()}.batch"]
        await asyncio.sleep(0.5)
        assert await results.get(fail=False) is None, "another node's batch is not sent"
        assert not running.done()
    finally:
        stop.set()
        await asyncio.wait_for(running, 15)
    await broker.close()
