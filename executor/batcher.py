"""Collects results per cell and publishes them as compressed batches, confirmed.

A batch keeps its id across retries, so a batch whose confirm was lost and is sent again is
recognised by the processor and stored once. Results are never dropped: a publish that
fails is retried until the broker confirms it.
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
        self._full = asyncio.Event()
        self.published = 0

    def add(self, cell: str, result: Result) -> None:
        rows = self._pending[cell]
        rows.append(result)
        if len(rows) >= self._max:
            self._full.set()

    def backlog(self) -> int:
        return sum(len(rows) for rows in self._pending.values())

    async def run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._full.wait(), self._delay)
            except TimeoutError:
                pass
            self._full.clear()
            await self.flush()

    async def flush(self) -> None:
        for cell, rows in list(self._pending.items()):
            while rows:
                chunk = rows[: self._max]
                body = encode_batch(ResultBatch(uuid.uuid4().bytes, cell, self._region,
                                                self._node, chunk))
                await self._publish_confirmed(cell, body)
                del rows[: len(chunk)]
                self.published += len(chunk)
                BATCHES.inc()
        BACKLOG.set(self.backlog())

    async def _publish_confirmed(self, cell: str, body: bytes) -> None:
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
