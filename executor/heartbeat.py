"""Heartbeats: every few seconds an executor tells every cell it is alive, and how it fares.

They travel like everything else the executor sends (the `vigil.up` exchange of its broker,
routing key heartbeat.<region>.<node>, then the region's up shovel). Each carries an AMQP
expiration, so heartbeats that waited out a cut link are dropped on the way rather than
making a node look alive after the fact.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable
from importlib import metadata

from shared.messages import Heartbeat

log = logging.getLogger(__name__)

Publish = Callable[[Heartbeat], Awaitable[None]]


def version() -> str:
    try:
        return metadata.version("vigil")
    except metadata.PackageNotFoundError:
        return "unknown"


def load() -> float:
    """The 1-minute load average per CPU: 1.0 means every CPU busy."""
    return round(os.getloadavg()[0] / (os.cpu_count() or 1), 3)


class ClockOffset:
    """This node's clock minus the centre's, from the send stamps of the scheduler's messages.

    Each sample is the offset plus however long the message travelled; the smallest of the
    recent ones is the best estimate (as NTP does), so a message that queued during a cut
    does not count as skew.
    """

    def __init__(self, keep: int = 32) -> None:
        self._samples: deque[int] = deque(maxlen=keep)

    def sample(self, sent_at_ms: int, received_at_ms: int) -> None:
        self._samples.append(received_at_ms - sent_at_ms)

    def estimate(self) -> int | None:
        return min(self._samples) if self._samples else None


class Tally:
    """Checks finished in the last `window_s`, and those that failed at the network level,
    in buckets so that a hundred thousand checks a minute cost a few counters."""

    def __init__(self, window_s: float = 60.0, bucket_s: float = 5.0) -> None:
        self.window_s, self.bucket_s = window_s, bucket_s
        self._buckets: dict[int, list[int]] = {}  # bucket number -> [checks, network failures]

    def add(self, network_failure: bool, now: float | None = None) -> None:
        key = int((time.monotonic() if now is None else now) // self.bucket_s)
        counts = self._buckets.get(key)
        if counts is None:
            counts = self._buckets[key] = [0, 0]
        counts[0] += 1
        counts[1] += network_failure

    def totals(self, now: float | None = None) -> tuple[int, int]:
        """(checks, network failures) in the window; older buckets are forgotten."""
        current = int((time.monotonic() if now is None else now) // self.bucket_s)
        oldest = current - int(self.window_s // self.bucket_s) + 1
        for key in [k for k in self._buckets if k < oldest]:
            del self._buckets[key]
        return (
            sum(c[0] for c in self._buckets.values()),
            sum(c[1] for c in self._buckets.values()),
        )


async def run(publish: Publish, make: Callable[[], Heartbeat], interval_s: float) -> None:
    """Publish a heartbeat now and then every `interval_s`; a failed one is logged, not retried
    (the next one says the same, only newer)."""
    while True:
        try:
            await publish(make())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("heartbeat not sent", extra={"error": str(exc)})
        await asyncio.sleep(interval_s)


def now_ms() -> int:
    return time.time_ns() // 1_000_000
