"""What the target saw against what was stored: every check the target answered must have
exactly one row, and every row one check.

The target cannot be told which check a request belongs to, so each stored row is paired with
the request of the same test that arrived within `TOLERANCE_MS` after the row's check time
(the executor stamps a check when it starts it, then connects over loopback). Tests run every
`INTERVAL_S` seconds, far more than the tolerance, so the pairing is unambiguous.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from aiohttp import web

from tests.targets import ThreadedServer

TOLERANCE_MS = 1500


class CountingTarget:
    """An HTTP site answering 200 at /t/{test_id}, writing down when each request arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[int, list[int]] = {}
        self._lock = threading.Lock()
        app = web.Application()
        app.add_routes([web.get("/t/{test_id}", self._hit)])
        self.server = ThreadedServer(app)

    async def _hit(self, request: web.Request) -> web.Response:
        now_ms = time.time_ns() // 1_000_000
        with self._lock:
            self.arrivals.setdefault(int(request.match_info["test_id"]), []).append(now_ms)
        return web.Response(text="ok")

    def snapshot(self) -> dict[int, list[int]]:
        with self._lock:
            return {t: list(a) for t, a in self.arrivals.items()}

    def total(self) -> int:
        with self._lock:
            return sum(len(a) for a in self.arrivals.values())


@dataclass
class Tally:
    """The checks of a window: seen at the target, stored, and the differences."""

    seen: int = 0  # requests that arrived in the window
    stored: int = 0  # rows checked in the window
    lost: int = 0  # requests in the window without a row
    doubled: int = 0  # rows beyond the first of one check (same test, same check time)
    unseen: int = 0  # rows the target has no request for
    lost_at: list[int] = field(default_factory=list)  # when the lost requests arrived (ms)

    @property
    def exact(self) -> bool:
        """One row per check and one check per row. (`seen` and `stored` may differ by a
        check straddling an edge: in the window by its check time, not by its arrival.)"""
        return not (self.lost or self.doubled or self.unseen)


def tally(
    arrivals: dict[int, list[int]], rows: dict[int, list[int]], start_ms: int, end_ms: int
) -> Tally:
    """Pair requests (arrival ms per test) with rows (check ms per test) over [start, end].

    A request is in the window by its arrival, a row by its check time; each side looks a
    tolerance past the window's edges for its partner, so a check straddling an edge is
    neither lost nor unseen."""
    out = Tally()
    for test_id in set(arrivals) | set(rows):
        _pair(
            sorted(arrivals.get(test_id, [])), sorted(rows.get(test_id, [])), start_ms, end_ms, out
        )
    return out


def _pair(seen: list[int], stored: list[int], start: int, end: int, out: Tally) -> None:
    out.doubled += len(stored) - len(set(stored))
    checks = sorted(set(stored))
    paired_requests: set[int] = set()
    i = 0
    for checked in checks:
        while i < len(seen) and seen[i] < checked:
            i += 1  # arrived before this check started: an earlier check's request
        found = i < len(seen) and seen[i] - checked <= TOLERANCE_MS
        if found:
            paired_requests.add(i)
            i += 1
        if start <= checked <= end:
            out.stored += stored.count(checked)
            out.unseen += not found
    for k, arrived in enumerate(seen):
        if start <= arrived <= end:
            out.seen += 1
            if k not in paired_requests:
                out.lost += 1
                out.lost_at.append(arrived)
