"""What an executor holds, kept on disk, so a restart resumes checking at once.

One file per region and node under VIGIL_STATE_DIR: msgpack of each cell's holdings as a
full assignment (generation, sequence, tests), so loading reuses the validated wire decoder.
Writes are atomic (a temporary file, fsync, rename): a crash mid-write leaves the old file.
A file that cannot be read is set aside and ignored: the resync at start refills us.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

import msgpack

from executor.holdings import Position
from shared.codec import DecodeError, decode_assignment, encode_assignment
from shared.messages import Assignment, TestSpec

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
Holdings = dict[str, tuple[Position, list[TestSpec]]]  # cell -> (position, tests)


def path_for(state_dir: str, region: str, node: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"executor-{region}-{node}")
    return Path(state_dir) / f"{safe}.msgpack"


def save(path: Path, region: str, holdings: Holdings) -> None:
    cells = [
        encode_assignment(Assignment(cell, region, pos.generation, pos.seq, True, specs))
        for cell, (pos, specs) in holdings.items()
    ]
    data = msgpack.packb({"v": FORMAT_VERSION, "region": region, "cells": cells})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load(path: Path, region: str) -> Holdings:
    """The holdings saved for `region`, or nothing if there is no usable file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    try:
        return _decode(data, region)
    except (DecodeError, ValueError, TypeError, KeyError) as exc:
        aside = path.with_suffix(".bad")
        os.replace(path, aside)
        log.warning(
            "state file unreadable, set aside", extra={"path": str(aside), "error": str(exc)}
        )
        return {}


def _decode(data: bytes, region: str) -> Holdings:
    body = msgpack.unpackb(data, raw=False)
    if not isinstance(body, dict) or body.get("v") != FORMAT_VERSION:
        raise ValueError("not a state file of this version")
    if body.get("region") != region:
        raise ValueError(f"state of region {body.get('region')!r}, not {region!r}")
    holdings: Holdings = {}
    for blob in body["cells"]:
        a = decode_assignment(blob)
        holdings[a.cell] = (Position(a.generation, a.seq), a.upserts)
    return holdings


class Keeper:
    """Saves the holdings a moment after they change (at most once per `every_s`)."""

    def __init__(
        self, path: Path, region: str, snapshot: Callable[[], Holdings], every_s: float = 1.0
    ) -> None:
        self.path = path
        self._region = region
        self._snapshot = snapshot
        self._every = every_s
        self._dirty = asyncio.Event()

    def changed(self) -> None:
        self._dirty.set()

    async def run(self) -> None:
        while True:
            await self._dirty.wait()
            await asyncio.sleep(self._every)  # gather a burst of deltas into one write
            await self.save_now()

    async def save_now(self) -> None:
        self._dirty.clear()
        try:
            await asyncio.to_thread(save, self.path, self._region, self._snapshot())
        except OSError as exc:  # a full disk must not stop the checks
            log.error("state file not saved", extra={"path": str(self.path), "error": str(exc)})
