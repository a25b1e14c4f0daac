"""The messages that travel between components, as plain dataclasses.

The wire form lives in `shared.codec`; these classes are what the code handles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, NamedTuple


class Status(IntEnum):
    """A check's verdict. Stored as a smallint; the API shows the lowercase name."""

    DOWN = 0
    UP = 1
    DEGRADED = 2

    @property
    def label(self) -> str:
        return self.name.lower()


# The error kind of a result whose test the executor refused to run (its configuration is
# not valid): stored, but it is not an outage; the test shows as misconfigured.
CONFIG_ERROR = "config"


# The languages Vigil speaks, in its frontend and its notifications.
LANGUAGES = ("en", "nl", "de", "fr", "es")

# The kinds of test the executor runs; a test asserts each has a registered check.
CHECK_KINDS = (
    "http",
    "tcp",
    "tls",
    "ping",
    "dns",
    "smtp",
    "redis",
    "postgres",
    "mysql",
    "rabbitmq",
)


@dataclass(frozen=True)
class TestSpec:
    """One long-lived test as an executor holds it."""

    __test__ = False  # not a pytest class, despite the name

    id: int
    cell: str
    region: str
    kind: str
    interval_s: int
    timeout_s: float
    config: dict[str, Any]
    version: int
    # Every region the test runs in (this one among them), so a node that sees it fail
    # knows whether other regions can be asked to check it now. Empty: this region only.
    regions: tuple[str, ...] = ()


class Result(NamedTuple):
    """The outcome of one check. `checked_at_ms` is when the check started (epoch ms).

    A named tuple, not a frozen dataclass: the processor makes ~100,000 a second, and a
    frozen dataclass's __init__ costs three times as much."""

    test_id: int
    checked_at_ms: int
    status: Status
    latency_ms: float | None
    http_status: int | None = None
    error_kind: str | None = None
    error: str | None = None
    # Kind-specific figures (timings, certificate days, attempts, packet loss), flat and
    # small: str -> number, string, bool or nil. None when the check has none.
    extras: dict[str, Any] | None = None

    @property
    def cert_days(self) -> float | None:
        """Days until the peer's certificate expires (negative once it has), if the check
        saw one; the codec has made sure it is a finite number."""
        return self.extras.get(CERT_DAYS) if self.extras else None


# Extras with a fixed meaning, which the processor stores as columns of their own: each
# phase's end in milliseconds from the start of the check (curl's convention), and the
# certificate's remaining days. The codec holds them to those types and ranges.
TIMING_EXTRAS = ("dns_ms", "connect_ms", "tls_ms", "ttfb_ms")
CERT_DAYS = "cert_days"
MAX_TIMING_MS = 2_000_000  # ~33 minutes: longer than any check may run
MAX_CERT_DAYS = 100_000  # ~270 years either way


# The extra a confirmation check carries: the region whose failure asked for it ("check now").
CHECK_NOW_EXTRA = "check_now_for"


@dataclass(frozen=True)
class ResultBatch:
    """Results of one cell from one executor node, published as one message."""

    batch_id: bytes  # 16 bytes (a UUID); the processor stores each batch id once
    cell: str
    region: str
    node: str
    results: list[Result]
    # Not on the wire: the decoder's note of results it kept without some of their extras
    # (test id, reason), so the processor can count and log what it dropped.
    trimmed: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Assignment:
    """A change to what a region runs for one cell.

    `full` replaces everything the executor holds for the cell; otherwise the message is a
    delta that applies only on top of sequence `seq - 1` of the same `generation`. A gap
    means the executor missed something and must ask for a resync.
    """

    cell: str
    region: str
    generation: str
    seq: int
    full: bool
    upserts: list[TestSpec] = field(default_factory=list)
    removals: list[int] = field(default_factory=list)
    node: str = ""  # the executor node it is for; a region's tests are shared among its nodes


@dataclass(frozen=True)
class CheckNow:
    """A node saw a test fail: the test's other regions are asked to check it now.

    Sent by the node to its cell's scheduler, which forwards it to the node holding the
    test in each other region. `region` and `node` are the asker's; `at_ms` when the failed
    check started."""

    cell: str
    test_id: int
    region: str
    node: str
    at_ms: int


@dataclass(frozen=True)
class ResyncRequest:
    """An executor asks a cell's scheduler for the full set of a region's tests."""

    cell: str
    region: str
    node: str
    reason: str


@dataclass(frozen=True)
class Heartbeat:
    """An executor node says it is alive, every few seconds, to every cell."""

    region: str
    node: str
    version: str
    sent_at_ms: int  # the node's clock
    interval_s: float  # the next one is due this much later
    load: float  # 1-minute load average divided by the CPUs
    tests_held: int
    backlog: int  # results checked but not yet confirmed by the broker
    clock_offset_ms: int | None = None  # node clock minus the centre's, None if not known yet
    # Checks the node finished in the last minute, and how many of them failed at the network
    # level (shared.checkspec.NETWORK_ERROR_KINDS); None from nodes that do not count them.
    checks: int | None = None
    network_failures: int | None = None


@dataclass(frozen=True)
class CertEvent:
    """A test's certificate is under the test's warning mark: told once per certificate.

    `expires_at_ms` is when the certificate expires, as the check that saw it reckoned
    (its time plus `days`); `checked_at_ms` when that check ran, in `region`.
    """

    cell: str
    test_id: int
    monitor_id: int | None
    expires_at_ms: int
    checked_at_ms: int
    days: float
    region: str

    @property
    def expires_on(self) -> str:
        """The UTC day the certificate expires (ISO), what keys its notice."""
        return datetime.fromtimestamp(self.expires_at_ms / 1000, UTC).date().isoformat()


@dataclass(frozen=True)
class IncidentEvent:
    """An incident opened, changed severity or resolved; for the notifier.

    `kind` is 'opened', 'changed' or 'resolved'; `state` is 'down', 'degraded' or
    'resolved'. Times are epoch milliseconds (when the results were taken).
    """

    kind: str
    cell: str
    incident_id: int
    test_id: int
    monitor_id: int | None
    state: str
    cause: str
    started_at_ms: int
    confirmed_at_ms: int | None
    resolved_at_ms: int | None


PAGE_EVENT_KINDS = (
    "manual_opened",
    "manual_updated",
    "manual_resolved",
    "maintenance_scheduled",
    "maintenance_started",
    "maintenance_ended",
)


@dataclass(frozen=True)
class PageEvent:
    """What the owner tells a status page's subscribers: a manual incident opened, updated or
    resolved (`ref_id` the incident, `update_id` the update that says so), or a maintenance
    window scheduled, started or ended (`ref_id` the window; `starts_at_ms`/`ends_at_ms` the
    occurrence, one of a recurring window's). The API and the processor write it to the
    outbox; the notifier reads the rest from the database."""

    kind: str  # one of PAGE_EVENT_KINDS
    cell: str
    ref_id: int
    update_id: int | None = None
    starts_at_ms: int | None = None
    ends_at_ms: int | None = None


@dataclass(frozen=True)
class Ping:
    """One call of a heartbeat test's ping URL, as the API took it (before it answered).

    `kind` is one of shared.heartbeat.PING_KINDS; an exit status (0-255) is a success when 0,
    else a failure, and keeps its number. `body` is cut at shared.heartbeat.BODY_LIMIT."""

    test_id: int
    at_ms: int
    kind: str
    exit_status: int | None = None
    rid: str | None = None
    method: str = "GET"
    source: str = ""
    user_agent: str = ""
    body: bytes = b""


@dataclass(frozen=True)
class PingBatch:
    """Pings of one cell taken by one API process, published as one message (with publisher
    confirms, before any of them is answered) to the cell's result queue."""

    batch_id: bytes  # 16 bytes; stored once, as result batches are
    cell: str
    node: str
    pings: list[Ping]
