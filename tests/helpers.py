"""Small helpers the integration tests share."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

T = TypeVar("T")


def on_one_utc_day(now: datetime, span: timedelta) -> datetime:
    """`now`, or the last second of yesterday when [now - span, now] would cross UTC
    midnight: the end of a span of rows that must all fall on one UTC day."""
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return now if now - span >= midnight else midnight - timedelta(seconds=1)


def short_name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def eventually(
    probe: Callable[[], Awaitable[T]], what: str, timeout: float = 30, every: float = 0.1
) -> T:
    """Poll `probe` until it returns something truthy; fail naming what we waited for."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(every)


def wait_sync(probe: Callable[[], T], what: str, timeout: float = 60, every: float = 0.25) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)
