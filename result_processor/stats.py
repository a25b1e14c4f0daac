"""What this processor stores, for the operator's view: one small row, written once a second.

The writers only add to an in-memory counter (`add`); a timer task writes the row
(`processor_stats`: results since start, the rate over the last window, when the last
result was stored), so the store path never waits on it. Several processors each have a
row; readers (`shared.ingest`) sum the fresh ones.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections import deque
from datetime import UTC, datetime

import asyncpg

from shared.ingest import TICK_S, WINDOW_S

log = logging.getLogger(__name__)

FORGET_AFTER = "1 day"  # rows of processors gone this long are deleted
PRUNE_EVERY = 300  # ticks

UPSERT = """
INSERT INTO processor_stats (processor, cell, started_at, updated_at, results_total,
                             results_per_second, window_s, last_result_at)
VALUES ($1, $2, $3, now(), $4, $5, $6, $7)
ON CONFLICT (processor) DO UPDATE SET updated_at = now(),
    results_total = excluded.results_total, results_per_second = excluded.results_per_second,
    window_s = excluded.window_s, last_result_at = excluded.last_result_at
"""
PRUNE = f"DELETE FROM processor_stats WHERE updated_at < now() - interval '{FORGET_AFTER}'"


def processor_id() -> str:
    """Unique per process life: two processors on one host, or a restart, never share."""
    return f"{socket.gethostname()[:100]}-{os.getpid()}-{secrets.token_hex(4)}"


class Rate:
    """Results over the last `window_s` seconds, from a reading of the total at each tick."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self.readings: deque[tuple[float, int]] = deque()

    def update(self, now: float, total: int) -> float:
        self.readings.append((now, total))
        # Keep the newest reading at least a window old as the base.
        while len(self.readings) > 1 and self.readings[1][0] <= now - self.window_s:
            self.readings.popleft()
        since, base = self.readings[0]
        return (total - base) / (now - since) if now > since else 0.0


class IngestStats:
    def __init__(self, cell: str, window_s: int = WINDOW_S) -> None:
        self.cell = cell
        self.processor = processor_id()
        self.window_s = window_s
        self.started_at = datetime.now(UTC)
        self.total = 0
        self.last_result_at: datetime | None = None
        self.rate = Rate(window_s)

    def add(self, results: int) -> None:
        """Called by a writer after a commit: memory only."""
        if results:
            self.total += results
            self.last_result_at = datetime.now(UTC)

    async def write(self, pool: asyncpg.Pool, prune: bool = False) -> None:
        rate = self.rate.update(time.monotonic(), self.total)
        async with pool.acquire() as conn:
            await conn.execute(
                UPSERT,
                self.processor,
                self.cell,
                self.started_at,
                self.total,
                rate,
                self.window_s,
                self.last_result_at,
            )
            if prune:
                await conn.execute(PRUNE)

    async def run(self, pool: asyncpg.Pool) -> None:
        ticks = 0
        while True:
            try:
                await self.write(pool, prune=ticks % PRUNE_EVERY == 0)
            except (asyncpg.PostgresError, OSError) as exc:
                log.warning("processor stats not written", extra={"error": str(exc)})
            ticks += 1
            await asyncio.sleep(TICK_S)
