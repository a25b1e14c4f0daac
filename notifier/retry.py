"""When to try a failed delivery again: exponential backoff over a fixed set of delays.

Each delay is a delay queue of its own (see `shared.amqp.deliveries_wait_queue`), so the set
of delays is finite and known at start-up: base * 2**k, capped, one per retry.
"""

from __future__ import annotations


def backoff_ms(attempt: int, base_ms: int, cap_ms: int) -> int:
    """How long to wait after failed attempt number `attempt` (1-based)."""
    return min(base_ms * 2 ** min(attempt - 1, 40), cap_ms)


def steps(max_attempts: int, base_ms: int, cap_ms: int) -> list[int]:
    """Every delay a delivery may wait: one per retry, without repeats (the cap repeats)."""
    return sorted({backoff_ms(a, base_ms, cap_ms) for a in range(1, max(max_attempts, 2))})


def park_ms(remaining_ms: int, available: list[int]) -> int:
    """The shortest delay queue that holds a message at least `remaining_ms` (else the
    longest): a copy that came too early waits there, then tries its claim again."""
    for delay in available:
        if delay >= remaining_ms:
            return delay
    return available[-1]
