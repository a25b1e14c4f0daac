"""Results the broker did not take by a stop, kept on disk and sent at the next start.

At a stop the batcher's unsent batches are written to `spill/<region>/<node>/` under
VIGIL_STATE_DIR (each executor its own folder, so executors sharing a state dir never race
for each other's files), one file per encoded batch (atomic: a temporary file, fsync,
rename). A batch that cannot be written (a full disk) does not stop the others; what is lost
is counted for the log. The batch keeps its id, so a batch that did reach the broker before
the stop and is sent again is stored once (the processor dedupes by batch id).

At start each file is published and deleted only once the broker has confirmed it. A file
that does not decode is moved to `bad/` beside it, with the reason logged. Anything else
that goes wrong (a file that cannot be read, a refused publish, a dropped connection) leaves
the file where it is and the replay tries again after a growing pause, until every file is
sent or set aside: a spilled result is never deleted unsent.

While the executor runs, the batcher also writes here the batches the broker has not
confirmed within VIGIL_SPILL_AFTER (see `executor/batcher.py`), and keeps sending them from
memory; the replay leaves alone every file whose batch the batcher still holds (`held`), so
a batch never goes out from memory and from disk at once. The replay keeps running for the
executor's whole life (`keep_replaying`): woken when the batcher lets go of spilled batches
past its memory bound, it sends them from their files.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

from shared.codec import DecodeError, decode_batch

log = logging.getLogger(__name__)

SUFFIX = ".batch"
TMP = ".tmp"  # a write cut short by a crash; whole if the crash fell between fsync and rename
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 30.0
SEND_TIMEOUT_S = 30.0
Send = Callable[[str, bytes], Awaitable[None]]  # (cell, body); returns once confirmed
Held = Callable[[str], bool]  # is the batch of this id (hex) still sent from memory?


class Spillable(Protocol):
    """A sealed batch as the batcher holds it: its id names its file (no decoding needed)."""

    @property
    def batch_id(self) -> str: ...  # hex
    @property
    def rows(self) -> int: ...
    @property
    def body(self) -> bytes: ...


class Lost(NamedTuple):
    """A batch a stop could not write to disk."""

    batch_id: str
    results: int
    error: str


def root(state_dir: str) -> Path:
    """The spill folder of every executor; before spills were per node, their files."""
    return Path(state_dir) / "spill"


def dir_for(state_dir: str, region: str, node: str) -> Path:
    # Region and node names are validated in shared/config.py: safe as path parts.
    return root(state_dir) / region / node


def write(folder: Path, batches: Sequence[Spillable]) -> list[Lost]:
    """Write each batch to its own file; returns the batches not written."""
    lost: list[Lost] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return [Lost(b.batch_id, b.rows, str(exc)) for b in batches]
    for batch in batches:
        try:
            _write_one(folder, batch)
        except Exception as exc:  # a full disk, or worse: the next batch may still fit
            lost.append(Lost(batch.batch_id, batch.rows, str(exc)))
    try:
        _fsync_dir(folder)  # the renames survive a power cut too
    except OSError as exc:
        log.warning("spill folder not synced", extra={"path": str(folder), "error": str(exc)})
    return lost


def _write_one(folder: Path, batch: Spillable) -> None:
    tmp = folder / f"{batch.batch_id}{TMP}"
    try:
        with open(tmp, "wb") as fh:
            fh.write(batch.body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / f"{batch.batch_id}{SUFFIX}")
    except BaseException:
        tmp.unlink(missing_ok=True)  # a half-written file only takes room
        raise


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


async def keep_replaying(
    folder: Path,
    send: Send,
    wake: asyncio.Event,
    legacy: Path | None = None,
    held: Held | None = None,
) -> None:
    """Replay what is on disk now, then again each time `wake` is set, until cancelled."""
    while True:
        await replay(folder, send, legacy, held)
        legacy = None  # adopted once, at start
        await wake.wait()
        wake.clear()


async def replay(
    folder: Path, send: Send, legacy: Path | None = None, held: Held | None = None
) -> int:
    """Publish every spilled batch in `folder` (and files adopted from the flat `legacy`
    folder of older versions) but those `held` in memory, retrying what fails with a
    growing pause until none is left; returns how many were sent."""
    sent, pause = 0, 0.0
    while True:
        done, left, errors = await _pass(folder, send, legacy, held)
        sent += done
        if not left:
            break
        pause = next_pause(pause, progressed=done > 0)
        log.warning(
            "spilled batches not sent yet, will retry",
            extra={
                "left": left,
                "retry_in_s": pause,
                "path": str(folder),
                "errors": dict(list(errors.items())[:3]),
            },
        )  # each error, and a file it hit
        await asyncio.sleep(pause)
    if sent:
        log.info("spilled results published", extra={"batches": sent, "path": str(folder)})
    return sent


def next_pause(pause: float, progressed: bool) -> float:
    """The wait before the next pass: short again while files go out, else doubled up to
    RETRY_MAX_S (a broker down for an hour is asked twice a minute, not hammered)."""
    return RETRY_FIRST_S if progressed else min(max(pause * 2, RETRY_FIRST_S), RETRY_MAX_S)


async def _pass(
    folder: Path, send: Send, legacy: Path | None, held: Held | None = None
) -> tuple[int, int, dict[str, str]]:
    """One try at every file: how many were sent, how many are left, and why."""
    try:
        if legacy is not None:
            _adopt(legacy, folder)
        paths = sorted(folder.glob(f"*{SUFFIX}")) + sorted(folder.glob(f"*{TMP}"))
    except OSError as exc:
        return 0, 1, {_describe(exc): str(folder)}
    sent, left = 0, 0
    errors: dict[str, str] = {}  # one example file per kind of failure
    for path in paths:
        if held is not None and held(path.name.split(".", 1)[0]):
            continue  # the batcher sends it from memory, and deletes the file once confirmed
        try:
            sent += await _replay_one(folder, path, send)
        except Exception as exc:  # the file stays; the next pass tries it again
            log.debug("spilled batch not sent", exc_info=True, extra={"path": str(path)})
            left += 1
            errors.setdefault(_describe(exc), str(path))
    return sent, left, errors


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _adopt(legacy: Path, folder: Path) -> None:
    """Move the files of the old flat spill folder into ours (a rename: of several executors
    sharing the state dir, one takes each file), so an upgrade strands no result."""
    files = sorted(legacy.glob(f"*{SUFFIX}"))
    if files:
        folder.mkdir(parents=True, exist_ok=True)
    for path in files:
        try:
            os.replace(path, folder / path.name)
        except FileNotFoundError:  # another executor took it
            continue
        log.info("spill file of an older version adopted", extra={"path": str(path)})


async def _replay_one(folder: Path, path: Path, send: Send) -> int:
    """Send one file and delete it once confirmed, or set it aside if it does not decode;
    returns 1 if sent. Raises (and keeps the file) if it could not be read or sent."""
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        return 0
    try:
        cell = decode_batch(body)[0].cell
    except (DecodeError, ValueError, TypeError, KeyError) as exc:
        _set_aside(folder, path, str(exc))
        return 0
    await asyncio.wait_for(send(cell, body), SEND_TIMEOUT_S)  # a hung publish is retried too
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:  # counted as sent; a copy sent again is stored once all the same
        log.error("spill file sent but not deleted", extra={"path": str(path), "error": str(exc)})
    return 1


def _set_aside(folder: Path, path: Path, error: str) -> None:
    bad = folder / "bad"
    bad.mkdir(exist_ok=True)
    os.replace(path, bad / path.name)
    log.warning(
        "spill file unreadable, set aside", extra={"path": str(bad / path.name), "error": error}
    )
