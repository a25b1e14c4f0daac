"""The replay of spilled batches keeps going whatever goes wrong, until every file is sent
(deleted once confirmed) or set aside: an error never ends it with files left behind."""

import asyncio
import logging
from pathlib import Path

import pytest

from executor import spill
from shared.codec import encode_batch
from shared.messages import Result, ResultBatch, Status
from tests.helpers import eventually


def _batch(first_byte: int, cell: str = "c1", rows: int = 2) -> tuple[str, bytes]:
    batch_id = bytes([first_byte]) * 16  # ids chosen so the files sort in a known order
    results = [Result(7, 1_700_000_000_000 + i, Status.UP, 3.0) for i in range(rows)]
    return batch_id.hex(), encode_batch(ResultBatch(batch_id, cell, "r", "n", results))


def _spill(folder: Path, first_byte: int) -> tuple[str, bytes]:
    name, body = _batch(first_byte)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}{spill.SUFFIX}").write_bytes(body)
    return name, body


def _errors(caplog: pytest.LogCaptureFixture) -> str:
    """The errors the replay's retry warnings named."""
    return " ".join(str(r.errors) for r in caplog.records if hasattr(r, "errors"))


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spill, "RETRY_FIRST_S", 0.02)
    monkeypatch.setattr(spill, "RETRY_MAX_S", 0.1)


class Broker:
    """A stand-in publisher: fails the first `failures` publishes, records what it took."""

    def __init__(self, failures: int = 0, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or ConnectionResetError("connection lost mid-publish")
        self.taken: list[bytes] = []

    async def send(self, cell: str, body: bytes) -> None:
        if self.failures:
            self.failures -= 1
            raise self.error
        self.taken.append(body)


async def test_a_failed_publish_is_retried_not_the_end_of_the_replay(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _, first = _spill(tmp_path, 0x01)
    _, second = _spill(tmp_path, 0x02)
    broker = Broker(failures=3)  # a drop, then the broker refusing twice
    sent = await asyncio.wait_for(spill.replay(tmp_path, broker.send), 10)
    assert sent == 2 and sorted(broker.taken) == sorted([first, second])
    assert not list(tmp_path.glob("*.batch")), "each file deleted once its publish returned"
    assert "spilled batches not sent yet, will retry" in caplog.text
    assert "ConnectionResetError: connection lost mid-publish" in _errors(caplog)


async def test_one_refused_batch_does_not_hold_up_the_others(tmp_path: Path) -> None:
    refused, _ = _spill(tmp_path, 0x01)  # sorted first
    _, other = _spill(tmp_path, 0x02)
    taken: list[bytes] = []
    open_for_first = asyncio.Event()

    async def send(cell: str, body: bytes) -> None:
        if body != other and not open_for_first.is_set():
            raise RuntimeError("unroutable")
        taken.append(body)

    task = asyncio.create_task(spill.replay(tmp_path, send))

    async def passed_once() -> bool:
        return bool(taken)

    await eventually(passed_once, "a first pass of the replay", timeout=10, every=0.01)
    assert taken == [other], "the second file went out while the first was refused"
    assert (tmp_path / f"{refused}.batch").exists() and not task.done()
    open_for_first.set()
    assert await asyncio.wait_for(task, 10) == 2


async def test_a_file_that_cannot_be_read_is_retried_not_deleted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    name, body = _batch(0x01)
    unreadable = tmp_path / f"{name}.batch"
    unreadable.mkdir(parents=True)  # reading it fails (IsADirectoryError), as root too
    _, good = _spill(tmp_path, 0x02)
    broker = Broker()
    task = asyncio.create_task(spill.replay(tmp_path, broker.send))

    async def passed_once() -> bool:
        return bool(broker.taken) and "IsADirectoryError" in _errors(caplog)

    await eventually(passed_once, "a first pass of the replay", timeout=10, every=0.01)
    assert broker.taken == [good], "the readable file went out meanwhile"
    assert "IsADirectoryError" in _errors(caplog), "the retry names the error"
    assert unreadable.is_dir() and not task.done(), "kept and retried, not given up on"
    assert not (tmp_path / "bad").exists(), "an unreadable file is not a bad one"

    unreadable.rmdir()  # readable again (say an operator fixed its permissions)
    unreadable.write_bytes(body)
    assert await asyncio.wait_for(task, 10) == 2
    assert broker.taken == [good, body] and not unreadable.exists()


async def test_a_hung_publish_times_out_and_is_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spill, "SEND_TIMEOUT_S", 0.1)
    _, body = _spill(tmp_path, 0x01)
    calls: list[bytes] = []

    async def send(cell: str, payload: bytes) -> None:
        calls.append(payload)
        if len(calls) == 1:
            await asyncio.Event().wait()  # a confirm that never comes

    assert await asyncio.wait_for(spill.replay(tmp_path, send), 10) == 1
    assert calls == [body, body] and not list(tmp_path.glob("*.batch"))


async def test_garbage_and_half_written_files_are_set_aside_with_a_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    name, body = _batch(0x01)
    (tmp_path / "garbage.batch").write_bytes(b"\x00not a batch at all")
    (tmp_path / f"{name}.tmp").write_bytes(body[: len(body) // 2])  # a crash mid-write
    whole_name, whole = _batch(0x02)
    (tmp_path / f"{whole_name}.tmp").write_bytes(whole)  # a crash between fsync and rename
    broker = Broker()
    with caplog.at_level(logging.WARNING):
        assert await asyncio.wait_for(spill.replay(tmp_path, broker.send), 10) == 1
    assert broker.taken == [whole], "a whole temporary file is a batch like any other"
    assert sorted(p.name for p in (tmp_path / "bad").iterdir()) == [f"{name}.tmp", "garbage.batch"]
    assert caplog.text.count("spill file unreadable, set aside") == 2


async def test_an_empty_or_missing_folder_replays_nothing(tmp_path: Path) -> None:
    assert await spill.replay(tmp_path / "none", Broker().send) == 0
    assert await spill.replay(tmp_path, Broker().send, legacy=tmp_path / "gone") == 0


async def test_files_of_the_old_flat_folder_are_adopted(tmp_path: Path) -> None:
    legacy = tmp_path / "spill"
    _, old = _spill(legacy, 0x01)
    (legacy / "bad").mkdir()  # set aside by an older version: left alone
    mine = spill.dir_for(str(tmp_path), "r", "n")
    _, new = _spill(mine, 0x02)
    broker = Broker()
    assert await spill.replay(mine, broker.send, legacy=legacy) == 2
    assert sorted(broker.taken) == sorted([old, new])
    assert sorted(p.name for p in legacy.iterdir()) == ["bad", "r"], "nothing left flat"


def test_each_executor_spills_to_its_own_folder() -> None:
    assert spill.dir_for("/s", "eu", "node-1") != spill.dir_for("/s", "eu", "node-2")
    assert spill.dir_for("/s", "eu", "node-1") != spill.dir_for("/s", "us", "node-1")
    assert spill.dir_for("/s", "eu", "node-1").parent.parent == spill.root("/s")


def test_the_pause_between_passes_grows_to_a_bound_and_resets_on_progress() -> None:
    pause, seen = 0.0, []
    for _ in range(6):
        pause = spill.next_pause(pause, progressed=False)
        seen.append(pause)
    assert seen == [0.02, 0.04, 0.08, 0.1, 0.1, 0.1], "never zero (no busy loop), capped"
    assert spill.next_pause(0.1, progressed=True) == 0.02
