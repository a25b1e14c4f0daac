"""A batch the broker has not confirmed within VIGIL_SPILL_AFTER goes to disk while the
executor runs (the batcher driven directly, with a fake clock for the batches' age)."""

import asyncio
import errno
import logging
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from executor import service, spill
from executor.batcher import Batcher, Sealed, SpillEarly
from shared.codec import decode_batch
from shared.messages import Result, Status
from tests.helpers import eventually


class Broker:
    """Refuses every publish until opened; records which batch ids it was offered, and
    from where (memory or disk), and which it took."""

    def __init__(self) -> None:
        self.open = False
        self.offered: dict[str, set[str]] = {"memory": set(), "disk": set()}
        self.taken: list[str] = []

    def send_from(self, source: str) -> Callable[[str, bytes], object]:
        async def send(cell: str, body: bytes) -> None:
            batch_id = decode_batch(body)[0].batch_id.hex()
            self.offered[source].add(batch_id)
            if not self.open:
                raise ConnectionError("broker unreachable")
            self.taken.append(batch_id)

        return send


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spill, "RETRY_FIRST_S", 0.02)
    monkeypatch.setattr(spill, "RETRY_MAX_S", 0.1)


def _batcher(
    broker: Broker, folder: Path, clock: Clock, memory: int = 200, wake: asyncio.Event | None = None
) -> Batcher:
    early = SpillEarly(
        folder, after_s=5.0, memory_batches=memory, on_let_go=wake.set if wake else None
    )
    # One result a batch, sealed every 10 ms, retried every 10 ms.
    return Batcher(
        broker.send_from("memory"), "r", "n", 1, 0.01, retry_s=0.01, spill_early=early, clock=clock
    )


def _add(batcher: Batcher, n: int) -> None:
    for i in range(n):
        batcher.add("c1", Result(7, 1_700_000_000_000 + i, Status.UP, 3.0))


def _files(folder: Path) -> set[str]:
    return {p.name.removesuffix(spill.SUFFIX) for p in folder.glob(f"*{spill.SUFFIX}")}


@asynccontextmanager
async def running(*coros: object) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(c) for c in coros]  # type: ignore[arg-type]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in tasks:  # a task that died of an error fails the test
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]


async def test_a_confirmed_batch_is_never_written(tmp_path: Path) -> None:
    broker, clock, folder = Broker(), Clock(), tmp_path / "spill"
    broker.open = True
    batcher = _batcher(broker, folder, clock)
    async with running(batcher.run()):
        _add(batcher, 3)
        await eventually(lambda: _async(batcher.published == 3), "3 batches confirmed")
        clock.now += 3600
        await asyncio.sleep(0.1)  # a few ticks, an hour later
    assert not folder.exists(), "the normal path does not even make the folder"
    assert batcher.in_memory() == 0


async def test_an_unconfirmed_batch_goes_to_disk_after_spill_after_and_stays_queued(
    tmp_path: Path,
) -> None:
    broker, clock, folder = Broker(), Clock(), tmp_path / "spill"
    batcher = _batcher(broker, folder, clock)
    async with running(batcher.run()):
        _add(batcher, 1)
        await eventually(lambda: _async(broker.offered["memory"]), "a first refused publish")
        clock.now += 4.9
        await asyncio.sleep(0.1)
        assert not _files(folder), "not on disk before VIGIL_SPILL_AFTER"
        clock.now += 0.2
        on_disk = await eventually(lambda: _async(_files(folder)), "the spill file")
        assert on_disk == broker.offered["memory"]
        assert batcher.backlog() == 1 and batcher.in_memory() == 1, "still queued"
        await asyncio.sleep(0.1)
        assert broker.taken == [] and _files(folder) == on_disk, "written once, kept"

        broker.open = True  # the link is back: confirmed from memory, its file deleted
        await eventually(lambda: _async(batcher.published == 1), "the confirm")
        await eventually(lambda: _async(not _files(folder)), "the file deleted")
    assert broker.taken == list(on_disk)


async def test_past_the_memory_bound_batches_go_out_from_disk_never_from_both(
    tmp_path: Path,
) -> None:
    broker, clock, folder = Broker(), Clock(), tmp_path / "spill"
    wake = asyncio.Event()
    batcher = _batcher(broker, folder, clock, memory=3, wake=wake)
    replay = spill.keep_replaying(folder, broker.send_from("disk"), wake, held=batcher.held)
    async with running(batcher.run(), replay):
        _add(batcher, 10)
        await eventually(lambda: _async(batcher.in_memory() == 10), "10 batches sealed")
        clock.now += 5
        await eventually(lambda: _async(len(_files(folder)) == 10), "all 10 on disk")
        await eventually(lambda: _async(batcher.in_memory() == 3), "7 let go of memory")
        assert batcher.backlog() == 3
        await eventually(
            lambda: _async(len(broker.offered["disk"]) == 7), "the replay to try the 7 let go of"
        )
        await asyncio.sleep(0.2)  # more retries from both sides
        assert not broker.offered["disk"] & broker.offered["memory"], "never from both"

        broker.open = True
        await eventually(lambda: _async(len(broker.taken) == 10), "every batch confirmed")
        await eventually(lambda: _async(not _files(folder)), "every file deleted")
    assert Counter(broker.taken).most_common(1)[0][1] == 1, "no batch sent twice"
    assert not broker.offered["disk"] & broker.offered["memory"]
    assert batcher.in_memory() == 0 and batcher.backlog() == 0


@pytest.mark.parametrize("trouble", ["unwritable folder", "disk full"])
async def test_a_failed_spill_is_logged_and_the_results_kept_in_memory(
    tmp_path: Path, trouble: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "spill"
    if trouble == "unwritable folder":
        folder.write_bytes(b"a file where the folder should be")
    else:

        def full(folder: Path, body: bytes) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(spill, "_write_one", full)
    broker, clock = Broker(), Clock()
    batcher = _batcher(broker, folder, clock, memory=1)
    async with running(batcher.run()):
        _add(batcher, 3)
        await eventually(lambda: _async(batcher.in_memory() == 3), "3 batches sealed")
        clock.now += 5
        record = await eventually(
            lambda: _async(
                next(
                    (r for r in caplog.records if r.message.startswith("results not spilled")), None
                )
            ),
            "the error logged",
        )
        assert record.levelno == logging.ERROR and record.batches == 3
        await asyncio.sleep(0.1)
        assert batcher.in_memory() == 3 and batcher.backlog() == 3, "kept, bound or not"
        assert (
            len([r for r in caplog.records if r.message.startswith("results not spilled")]) == 1
        ), "not retried every tick"
        broker.open = True
        await eventually(lambda: _async(batcher.published == 3), "all sent from memory")
    assert len(set(broker.taken)) == 3


async def test_a_stop_writes_only_what_is_not_on_disk_yet(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broker, clock, folder = Broker(), Clock(), tmp_path / "spill"
    batcher = _batcher(broker, folder, clock)
    async with running(batcher.run()):
        _add(batcher, 2)
        await eventually(lambda: _async(batcher.in_memory() == 2), "2 batches sealed")
        clock.now += 5
        await eventually(lambda: _async(len(_files(folder)) == 2), "2 on disk")
    early = {p.name: p.stat().st_ino for p in folder.glob("*.batch")}
    _add(batcher, 1)  # checked after the last tick: not sealed, not on disk
    service.spill_at_stop(folder, batcher)
    now = {p.name: p.stat().st_ino for p in folder.glob("*.batch")}
    assert len(now) == 3 and all(now[name] == ino for name, ino in early.items()), (
        "the early files were not written again"
    )
    stop = next(r for r in caplog.records if r.message == "results spilled to disk at stop")
    assert (stop.batches, stop.results) == (1, 1)


async def test_a_batch_confirmed_while_its_file_is_written_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broker, clock, folder = Broker(), Clock(), tmp_path / "spill"
    started, release = threading.Event(), threading.Event()
    write = spill.write

    def slow_write(folder: Path, batches: list[Sealed]) -> list[spill.Lost]:
        started.set()
        release.wait(10)
        return write(folder, batches)

    monkeypatch.setattr(spill, "write", slow_write)
    batcher = _batcher(broker, folder, clock)
    async with running(batcher.run()):
        _add(batcher, 1)
        await eventually(lambda: _async(batcher.in_memory() == 1), "the batch sealed")
        clock.now += 5
        await eventually(lambda: _async(started.is_set()), "the write to start")
        broker.open = True
        await eventually(lambda: _async(batcher.published == 1), "the confirm, mid-write")
        assert batcher.held(broker.taken[0]), "the replay keeps off the file being written"
        release.set()
        await eventually(lambda: _async(not batcher.held(broker.taken[0])), "the write's end")
    assert not _files(folder), "the file of a confirmed batch is deleted once written"


async def test_the_replay_leaves_held_batches_alone(tmp_path: Path) -> None:
    broker, clock, folder = Broker(), Clock(), tmp_path / "spill"
    broker.open = True
    batcher = _batcher(broker, folder, clock)
    _add(batcher, 2)
    held = batcher.to_spill()
    assert spill.write(folder, held) == []
    mine = held[0].batch_id
    batcher._held.discard(mine)  # as if let go of memory
    sent = await spill.replay(folder, broker.send_from("disk"), held=batcher.held)
    assert sent == 1 and broker.taken == [mine]
    assert len(_files(folder)) == 1, "the held batch's file stays for its confirm to delete"


async def _async(value: object) -> object:
    return value
