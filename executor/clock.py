"""A check's stopwatch and its certificate's days left: shared by the checks and the HTTP
transport below them (the transport must not import a check)."""

from __future__ import annotations

import ssl
import time
from typing import Any


class Clock:
    """Milliseconds since the check began, and which phase it is in."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.phase = "dns"
        self.marks: dict[str, float] = {}

    def ms(self) -> float:
        # To the microsecond; what round(x, 3) gives, at a third of its cost (per phase).
        return int((time.perf_counter() - self.started) * 1_000_000 + 0.5) / 1000

    def enter(self, phase: str, mark: str | None = None) -> None:
        """Mark the end of the current phase (its time goes in extras) and start another."""
        self.marks[mark or f"{self.phase}_ms"] = self.ms()
        self.phase = phase


def cert_days(peercert: dict[str, Any] | None) -> float | None:
    """Days until a verified peer certificate expires (negative once it has)."""
    if not peercert or "notAfter" not in peercert:
        return None
    expires = ssl.cert_time_to_seconds(peercert["notAfter"])
    return round((expires - time.time()) / 86400, 2)
