"""In-process token buckets for log-in and sign-up: per client IP and per email.

Each API process keeps its own buckets, so N processes allow N times the rate; that is
enough to make guessing passwords slow, and needs nothing shared. Behind a proxy (or the
frontend) every request seems to come from the proxy's address: the per-IP limit is then
a limit on the proxy, which is why it is set higher than the per-email one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from fastapi import HTTPException, Request, status

MAX_KEYS = 100_000  # beyond this, full buckets are forgotten first (they carry no debt)


class RateLimiter:
    """`per_minute` attempts a minute per key, in bursts of up to `burst` (default
    `per_minute`); 0 is off."""

    def __init__(
        self,
        per_minute: float,
        clock: Callable[[], float] = time.monotonic,
        burst: float | None = None,
    ) -> None:
        self.capacity = float(per_minute if burst is None else burst)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)

    def take(self, key: str) -> float:
        """Spend one attempt: 0 if allowed, else the seconds until one is."""
        if self.capacity == 0:
            return 0.0
        now = self.clock()
        tokens, then = self.buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - then) * self.rate)
        if tokens < 1:
            self.buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate
        self.buckets[key] = (tokens - 1, now)
        if len(self.buckets) > MAX_KEYS:
            self._forget_full(now)
        return 0.0

    def _forget_full(self, now: float) -> None:
        for key, (tokens, then) in list(self.buckets.items()):
            if tokens + (now - then) * self.rate >= self.capacity:
                del self.buckets[key]


class AuthLimits:
    """The limiters of one API process."""

    def __init__(self, per_ip: int, per_email: int) -> None:
        self.per_ip = RateLimiter(per_ip)
        self.per_email = RateLimiter(per_email)

    def check(
        self, request: Request, action: str, email: str | None, host: str | None = None
    ) -> None:
        """Raise a 429 with Retry-After when this client or this email has tried too often
        (`host`: the client as a trusted proxy names it; else the peer's address)."""
        host = host or (request.client.host if request.client else "unknown")
        wait = self.per_ip.take(f"{action}:{host}")
        if email is not None:
            wait = max(wait, self.per_email.take(f"{action}:{email.lower()}"))
        if wait > 0:
            seconds = math.ceil(wait)
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"too many attempts; try again in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )


def forwarded_client(request: Request, trusted: frozenset[str]) -> str | None:
    """The visitor a trusted proxy (the frontend) names in X-Forwarded-For: the last hop it
    added. From anyone else the header is ignored, so a client cannot pick its own bucket."""
    peer = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-for", "")
    if peer not in trusted or not forwarded:
        return None
    return forwarded.rsplit(",", 1)[-1].strip()[:64] or None
