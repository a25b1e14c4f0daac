"""Collects results per cell and publishes them as compressed batches, confirmed.

A batch keeps its id across retries, so a batch whose confirm was lost and is sent again is
recognised by the processor and stored once. Results are never dropped: a publish that
fails is retried until the broker confirms it, and what is still unsent at a stop is handed
(as sealed batches, ids kept) to `executor/spill.py`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable

from executor.metrics import BACKLOG, BATCHES, PUBLISH_FAILURES
from shared.codec import encode_batch
from shared.messages import Result, ResultBatch

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes], Awaitable[None]]  # (cell, body); returns once confirmed


class Batcher:
    def __init__(self, publish: Publish, region: str, node: str, max_results: int,
                 max_delay_s: float, retry_s: float = 1.0) -> None:
        self._publish = publish
        self._region = region
        self._node = node
        self._max = max_results
        self._delay = max_delay_s
        self._retry = retry_s
        self._pending: dict[str, list[Result]] = defaultdict(list)
        # Sealed batches (cell, body, rows), oldest first, dropped only once confirmed: a
        # batch cut short by a stop keeps its id, whether it is sent again or spilled.
        self._sealed: list[tuple[str, bytes, int]] = []
        self._full = asyncio.Event()
        self.published = 0

    def add(self, cell: str, result: Result) -> None:
        rows = self._pending[cell]
        rows.append(result)
        if len(rows) >= self._max:
            self._full.set()

    def backlog(self) -> int:
        pending = sum(len(rows) for rows in self._pending.values())
        return pending + sum(n for _, _, n in self._sealed)

    def unsent(self) -> list[tuple[str, bytes]]:
        """Every result not yet confirmed, as (cell, encoded batch)."""
        self._seal()
        return [(cell, body) for cell, body, _ in self._sealed]

    async def run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._full.wait(), self._delay)
            except TimeoutError:
                pass
            self._full.clear()
            await self.flush()

    async def flush(self) -> None:
        self._seal()
        while self._sealed:
            cell, body, n = self._sealed[0]
            await self.publish_confirmed(cell, body)
            del self._sealed[0]
            self.published += n
            BATCHES.inc()
        BACKLOG.set(self.backlog())

    def _seal(self) -> None:
        for cell, rows in self._pending.items():
            for start in range(0, len(rows), self._max):
                chunk = rows[start: start + self._max]
                body = encode_batch(ResultBatch(uuid.uuid4().bytes, cell, self._region,
                                                self._node, chunk))
                self._sealed.append((cell, body, len(chunk)))
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
