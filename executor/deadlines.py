"""Timeouts for thousands of checks a second, on one coarse timer.

`with deadlines.within(seconds):` behaves like `async with asyncio.timeout(seconds):`: past the
deadline the task is cancelled and the block raises TimeoutError. asyncio.timeout arms and
disarms a timer of the event loop at each use, which on uvloop costs about 30,000 CPU
instructions, a tenth of a whole HTTP check. Here a deadline is one heap entry, and a single
timer, armed only while deadlines are pending, ticks every 10 ms and cancels the tasks past
theirs: a deadline fires up to one tick late. A block that ends early leaves its entry in
the heap until its time comes (popping it then costs less than finding it now).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from types import TracebackType

TICK_S = 0.01


class Deadlines:
    """The deadlines of the blocks running `within` them, on one event loop."""

    def __init__(self, tick_s: float = TICK_S) -> None:
        self._tick = tick_s
        self._heap: list[tuple[float, int, Within]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    def within(self, seconds: float) -> Within:
        return Within(self, seconds)

    def pending(self) -> int:
        """Entries in the heap, those of blocks already left included."""
        return len(self._heap)

    def _add(self, block: Within, loop: asyncio.AbstractEventLoop) -> None:
        heapq.heappush(self._heap, (loop.time() + block.seconds, next(self._order), block))
        if self._timer is None:
            self._timer = loop.call_later(self._tick, self._sweep, loop)

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        heap, now = self._heap, loop.time()
        while heap and heap[0][0] <= now:
            heapq.heappop(heap)[2].expire()
        self._timer = loop.call_later(self._tick, self._sweep, loop) if heap else None


class Within:
    """One block under a deadline (see Deadlines.within)."""

    __slots__ = ("seconds", "_owner", "_task", "_cancelling", "_left", "_expired")

    def __init__(self, owner: Deadlines, seconds: float) -> None:
        self.seconds = seconds
        self._owner = owner
        self._task: asyncio.Task[object] | None = None
        self._cancelling = 0
        self._left = False
        self._expired = False

    def __enter__(self) -> Within:  # not async: nothing to await, so no coroutine to make
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a deadline needs a task")
        self._task, self._cancelling = task, task.cancelling()
        self._owner._add(self, task.get_loop())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._left = True
        # As asyncio.timeout: our cancellation becomes TimeoutError, unless someone else
        # asked to cancel the task too (then the CancelledError is theirs and goes on).
        if (
            self._expired
            and self._task is not None
            and (self._task.uncancel() <= self._cancelling and exc_type is asyncio.CancelledError)
        ):
            raise TimeoutError from exc

    def expire(self) -> None:
        if not self._left and self._task is not None:
            self._expired = True
            self._task.cancel()
