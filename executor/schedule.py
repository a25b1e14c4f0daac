"""When each test runs: pure functions of the test id, its interval and the clock.

Checks of a test fire on a fixed grid, `offset + k * interval` in epoch milliseconds.
The offset is a hash of the test id, so checks spread over the interval (no herd at :00),
and because every due time comes from the grid rather than from the end of the last
check, a test keeps its cadence however long its checks take (no drift).
"""

from __future__ import annotations

import hashlib


def offset_ms(test_id: int, interval_s: int) -> int:
    """A stable spot in the interval for this test, spread uniformly over test ids."""
    digest = hashlib.blake2b(test_id.to_bytes(8, "big", signed=False), digest_size=8).digest()
    return int.from_bytes(digest, "big") % (interval_s * 1000)


def next_due_ms(test_id: int, interval_s: int, after_ms: int) -> int:
    """The first grid time strictly after `after_ms`."""
    period = interval_s * 1000
    offset = offset_ms(test_id, interval_s)
    k = (after_ms - offset) // period + 1
    return offset + k * period


def slot_after(due_ms: int, interval_s: int) -> int:
    """The slot after `due_ms`, which is itself on the test's grid: one interval on. The same
    as `next_due_ms(test_id, interval_s, due_ms)` without hashing the id again (per check)."""
    return due_ms + interval_s * 1000
