"""The one interface every check type implements: `async def run(spec, ctx) -> Outcome`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.messages import Status, TestSpec

if TYPE_CHECKING:
    from executor.httpclient import Client


@dataclass(frozen=True)
class Outcome:
    """What a check found; the dispatcher adds the test id and the time."""

    status: Status
    latency_ms: float | None
    http_status: int | None = None
    error_kind: str | None = None
    error: str | None = None
    extras: dict[str, Any] | None = None  # timings, certificate days, ... (flat, small)

    @classmethod
    def failed(
        cls,
        kind: str,
        error: str,
        latency_ms: float | None = None,
        http_status: int | None = None,
        extras: dict[str, Any] | None = None,
    ) -> Outcome:
        return cls(Status.DOWN, latency_ms, http_status, kind, error[:500], extras)


class Failure(Exception):
    """Raised inside a check to end it with a named failure from the taxonomy."""

    def __init__(self, kind: str, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.http_status = http_status


@dataclass(frozen=True)
class CheckContext:
    """What checks share: one HTTP session, the body limit, the SSRF setting."""

    http: Client
    max_body_bytes: int
    allow_private_targets: bool


Check = Callable[[TestSpec, CheckContext], Awaitable[Outcome]]
