"""Results the broker did not take by a stop, kept on disk and sent at the next start.

At a stop the batcher's unsent batches are written to `spill/` under VIGIL_STATE_DIR, one
file per encoded batch (atomic: a temporary file, fsync, rename). The batch keeps its id, so
a batch that did reach the broker before the stop and is sent again is stored once (the
processor dedupes by batch id). At start each file is published (confirmed, mandatory) and
deleted only once the broker has confirmed it. A file that does not decode is moved to
`spill/bad/` and the executor carries on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from shared.codec import DecodeError, decode_batch

log = logging.getLogger(__name__)

SUFFIX = ".batch"
Send = Callable[[str, bytes], Awaitable[None]]  # (cell, body); returns once confirmed


def dir_for(state_dir: str) -> Path:
    return Path(state_dir) / "spill"


def write(folder: Path, batches: list[tuple[str, bytes]]) -> int:
    """Write each (cell, body) batch to its own file; returns how many were written."""
    folder.mkdir(parents=True, exist_ok=True)
    for _, body in batches:
        batch_id = decode_batch(body)[0].batch_id.hex()  # our own batch: it decodes
        tmp = folder / f"{batch_id}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / f"{batch_id}{SUFFIX}")
    _fsync_dir(folder)  # the renames survive a power cut too
    return len(batches)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


async def replay(folder: Path, send: Send) -> int:
    """Publish every spilled batch; returns how many were sent."""
    sent = 0
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        try:
            body = path.read_bytes()
        except FileNotFoundError:  # another executor sharing this state dir sent it
            continue
        try:
            cell = decode_batch(body)[0].cell
        except (DecodeError, ValueError, TypeError, KeyError) as exc:
            _set_aside(folder, path, str(exc))
            continue
        await send(cell, body)  # retries until the broker confirms
        path.unlink(missing_ok=True)
        sent += 1
    if sent:
        log.info("spilled results published", extra={"batches": sent})
    return sent


def _set_aside(folder: Path, path: Path, error: str) -> None:
    bad = folder / "bad"
    bad.mkdir(exist_ok=True)
    os.replace(path, bad / path.name)
    log.warning("spill file unreadable, set aside", extra={"path": str(bad / path.name),
                                                           "error": error})
