"""Collects results per cell and publishes them as compressed batches, confirmed.

A batch keeps its id across retries, so a batch whose confirm was lost and is sent again is
recognised by the processor and stored once. Results are never dropped: a publish that
fails is retried until the broker confirms it.

Sealing and sending run side by side: a broker that refuses or hangs does not stop new
results being sealed into batches. A batch still unconfirmed VIGIL_SPILL_AFTER seconds after
it was sealed is written to the spill folder (`executor/spill.py`) and stays queued here;
its file is deleted once the broker confirms it. So a SIGKILL, an OOM kill or a power cut
during an outage loses at most the last VIGIL_SPILL_AFTER seconds. Past
VIGIL_SPILL_MEMORY_BATCHES batches held in memory, the oldest batches already on disk are
let go: from then on the spill replay sends them from their files (it never reads a file
whose batch is still held here, so no batch goes out from memory and disk at once; should it
happen anyway, the processor stores a batch id once). A stop writes only what is not on disk
yet. On the normal path (confirms in milliseconds) nothing is ever written.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from executor import spill
from executor.metrics import BACKLOG, BATCHES, PUBLISH_FAILURES, SPILLED_EARLY
from shared.codec import encode_batch
from shared.messages import Result, ResultBatch

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes], Awaitable[None]]  # (cell, body); returns once confirmed
SPILL_RETRY_S = 30.0  # after a failed early spill (a full disk), try again this much later

MEMORY, WRITING, ON_DISK = 0, 1, 2  # where a sealed batch is, besides memory


@dataclass(eq=False, slots=True)
class Sealed:
    """A batch sealed for sending; its id (hex) names its spill file."""

    cell: str
    body: bytes
    rows: int
    batch_id: str
    sealed_at: float
    disk: int = MEMORY
    confirmed: bool = False


@dataclass(frozen=True)
class SpillEarly:
    """Where and when unconfirmed batches go to disk while the executor runs."""

    folder: Path
    after_s: float = 5.0
    memory_batches: int = 200
    on_let_go: Callable[[], None] | None = None  # batches now only on disk: wake the replay


class Batcher:
    def __init__(
        self,
        publish: Publish,
        region: str,
        node: str,
        max_results: int,
        max_delay_s: float,
        retry_s: float = 1.0,
        spill_early: SpillEarly | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._publish = publish
        self._region = region
        self._node = node
        self._max = max_results
        self._delay = max_delay_s
        self._retry = retry_s
        self._early = spill_early
        self._clock = clock
        self._pending: dict[str, list[Result]] = defaultdict(list)
        # Sealed batches held in memory, oldest first, dropped once confirmed (or, once on
        # disk, past the memory bound): a batch cut short by a stop keeps its id.
        self._sealed: deque[Sealed] = deque()
        self._held: set[str] = set()  # ids the spill replay must leave alone
        self._inflight: Sealed | None = None
        self._writing: Future[list[spill.Lost]] | None = None
        self._due: list[Sealed] = []  # the batches being written
        self._disk: ThreadPoolExecutor | None = None  # made on the first spill: none if never
        self._spill_retry_at = 0.0
        self._full = asyncio.Event()
        self._wake = asyncio.Event()
        self.published = 0

    def add(self, cell: str, result: Result) -> None:
        rows = self._pending[cell]
        rows.append(result)
        if len(rows) >= self._max:
            self._full.set()

    def backlog(self) -> int:
        pending = sum(len(rows) for rows in self._pending.values())
        return pending + sum(b.rows for b in self._sealed)

    def held(self, batch_id: str) -> bool:
        """Is this batch (hex id) in our hands? Then the spill replay must not send its file."""
        return batch_id in self._held

    def in_memory(self) -> int:
        return len(self._sealed)

    def to_spill(self) -> list[Sealed]:
        """The unconfirmed batches not on disk yet (what a stop must write)."""
        self._seal()
        self.settle()
        return [b for b in self._sealed if b.disk != ON_DISK]

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:  # cancelled together
            group.create_task(self._send_loop())
            while True:
                try:
                    await asyncio.wait_for(self._full.wait(), self._delay)
                except TimeoutError:
                    pass
                self._full.clear()
                self._seal()
                if self._sealed:
                    self._wake.set()
                    if self._early is not None:
                        await self._spill_due()
                BACKLOG.set(self.backlog())

    async def _send_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._send_sealed()

    async def flush(self) -> None:
        """Seal what is pending and send everything held, oldest first."""
        self._seal()
        await self._send_sealed()
        BACKLOG.set(self.backlog())

    async def _send_sealed(self) -> None:
        while self._sealed:
            batch = self._inflight = self._sealed[0]
            try:
                await self.publish_confirmed(batch.cell, batch.body)
            finally:
                self._inflight = None
            self._confirmed(batch)

    def _confirmed(self, batch: Sealed) -> None:
        batch.confirmed = True
        self._sealed.remove(batch)  # the oldest, bar a spill letting go of others meanwhile
        self.published += batch.rows
        BATCHES.inc()
        if batch.disk == ON_DISK:
            self._delete(batch)
        elif batch.disk == MEMORY:
            self._held.discard(batch.batch_id)
        # WRITING: the write's end deletes the file it made

    def _seal(self) -> None:
        for cell, rows in self._pending.items():
            for start in range(0, len(rows), self._max):
                chunk = rows[start : start + self._max]
                batch_id = uuid.uuid4().bytes
                body = encode_batch(ResultBatch(batch_id, cell, self._region, self._node, chunk))
                sealed = Sealed(cell, body, len(chunk), batch_id.hex(), self._clock())
                self._sealed.append(sealed)
                self._held.add(sealed.batch_id)
            rows.clear()

    async def publish_confirmed(self, cell: str, body: bytes) -> None:
        while True:
            try:
                await self._publish(cell, body)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                PUBLISH_FAILURES.inc()
                log.warning("publish failed, will retry", extra={"cell": cell, "error": str(exc)})
                await asyncio.sleep(self._retry)

    # Early spill: only ever reached with batches unconfirmed for VIGIL_SPILL_AFTER.

    async def _spill_due(self) -> None:
        assert self._early is not None
        now = self._clock()
        if self._writing is not None or now < self._spill_retry_at:
            return
        due = []
        for batch in self._sealed:  # oldest first: stop at the first one too young
            if now - batch.sealed_at < self._early.after_s:
                break
            if batch.disk == MEMORY:
                due.append(batch)
        if due:
            await self._write(due)
        self._let_go()

    async def _write(self, due: list[Sealed]) -> None:
        """Write in a thread (fsyncs must not stall the checks' timers); a stop waits for it."""
        assert self._early is not None
        for batch in due:
            batch.disk = WRITING
        if self._disk is None:
            self._disk = ThreadPoolExecutor(1, thread_name_prefix="vigil-spill")
        self._writing = self._disk.submit(spill.write, self._early.folder, list(due))
        self._due = due
        try:
            await asyncio.shield(asyncio.wrap_future(self._writing))
        finally:
            self.settle()

    def settle(self) -> None:
        """Wait for a spill write under way (a stop must not write the same batch again),
        then account for it: on disk, or kept in memory if it failed."""
        if self._writing is None:
            return
        writing, due, self._writing, self._due = self._writing, self._due, None, []
        try:
            lost = {x.batch_id: x.error for x in writing.result()}
        except Exception as exc:  # not expected: spill.write reports failures, but be safe
            lost = {b.batch_id: str(exc) for b in due}
        for batch in due:
            if batch.batch_id in lost:
                batch.disk = MEMORY
                if batch.confirmed:
                    self._held.discard(batch.batch_id)
            elif batch.confirmed:  # confirmed while being written: the file is not needed
                batch.disk = ON_DISK
                self._delete(batch)
            else:
                batch.disk = ON_DISK
        self._log_write(due, lost)

    def _log_write(self, due: list[Sealed], lost: dict[str, str]) -> None:
        assert self._early is not None
        written = len(due) - len(lost)
        SPILLED_EARLY.inc(written)
        path = str(self._early.folder)
        if written:
            log.warning(
                "unconfirmed results spilled to disk",
                extra={"batches": written, "after_s": self._early.after_s, "path": path},
            )
        if lost:
            self._spill_retry_at = self._clock() + SPILL_RETRY_S
            log.error(
                "results not spilled to disk, kept in memory",
                extra={
                    "batches": len(lost),
                    "in_memory": len(self._sealed),
                    "path": path,
                    "error": next(iter(lost.values())),
                    "retry_in_s": SPILL_RETRY_S,
                },
            )

    def _let_go(self) -> None:
        """Past the memory bound, keep only the file of the oldest batches already on disk."""
        assert self._early is not None
        excess = len(self._sealed) - self._early.memory_batches
        if excess <= 0:
            return
        gone = [b for b in self._sealed if b.disk == ON_DISK and b is not self._inflight]
        gone = gone[:excess]
        if not gone:
            return  # nothing on disk (an unwritable folder): memory is all we have
        for batch in gone:
            self._sealed.remove(batch)
            self._held.discard(batch.batch_id)
        log.info(
            "spilled batches let go of memory, to be sent from disk",
            extra={"batches": len(gone), "in_memory": len(self._sealed)},
        )
        if self._early.on_let_go is not None:
            self._early.on_let_go()

    def _delete(self, batch: Sealed) -> None:
        assert self._early is not None
        try:
            (self._early.folder / f"{batch.batch_id}{spill.SUFFIX}").unlink(missing_ok=True)
        except OSError as exc:  # sent again from disk at worst: the processor stores it once
            log.error(
                "spill file confirmed but not deleted",
                extra={"batch_id": batch.batch_id, "error": str(exc)},
            )
        self._held.discard(batch.batch_id)
