"""The incident state machine of one test: pure, fed one result at a time.

    up ──failure──▶ suspected ──confirmed──▶ down / degraded ──all regions up──▶ up
         ◀──success (dismissed, no incident)──┘        ▲ │ severity changes
                                                        └─┘

A region *confirms* a failure after 1 + `retries` consecutive failing attempts from it (a
result the node already retried counts as its `attempts`: the retries were made). An
incident opens when `regions` regions confirm (capped at the number of regions the test
runs in): DOWN if every confirming region's newest result is DOWN, else DEGRADED. The
threshold rule opens a DEGRADED incident on its own: more than `max_failures` failures, or
at least `max_5xx` 5xx responses, in the last `window_s` seconds. An open incident resolves
when no region has a failure pending, every region has had `recover_after` successes in a
row, and the threshold no longer holds: a flapping test (down, up, down, ...) keeps its one
incident open instead of opening ten. A suspicion that clears before it is confirmed leaves
no incident behind.
"""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field
from typing import Any

# The rule lives in shared/: the API validates a user's rule with the same code.
from shared.alert_rules import Rule as Rule
from shared.alert_rules import RuleError as RuleError
from shared.messages import Status

EVIDENCE_PER_REGION = 5
HISTORY = 16  # results remembered per region: more than the largest `retries` + 1
MAX_WINDOW = 1000  # failures remembered for the threshold rule, at most


# A kind's rule when the test has none of its own. A heartbeat's ping is already a verdict (a
# job that failed, or a deadline missed with its grace): it opens an incident at once, from
# its one "region", and the next success ends it.
KIND_RULES = {"heartbeat": Rule(retries=0, regions=1, recover_after=1)}


@dataclass(frozen=True)
class Observation:
    """One result as the machine sees it."""

    region: str
    at_ms: int
    status: Status
    http_status: int | None = None
    error_kind: str | None = None
    error: str | None = None
    attempts: int = 1  # tries on the node that this result stands for (all failed, if DOWN)


@dataclass
class RegionState:
    """A region's newest results, in time order, so a result that arrives after a newer one
    (two processors, or two writers, committing out of order) still takes its place."""

    recent: list[tuple[int, int, int]] = field(default_factory=list)  # (at_ms, status, tries)

    def add(self, at_ms: int, status: Status, attempts: int = 1) -> bool:
        """Place a result; False if it is a repeat, or older than everything remembered."""
        if any(r[0] == at_ms for r in self.recent):
            return False
        if len(self.recent) >= HISTORY and at_ms < self.recent[0][0]:
            return False
        bisect.insort(self.recent, (at_ms, int(status), max(1, attempts)))
        del self.recent[:-HISTORY]
        return True

    @property
    def fails(self) -> int:
        """Consecutive failed attempts, counted back from the newest result."""
        n = 0
        for _, status, attempts in reversed(self.recent):
            if status == Status.UP:
                break
            n += attempts
        return n

    @property
    def ups(self) -> int:
        """Consecutive UP results, counted back from the newest."""
        n = 0
        for _, status, _tries in reversed(self.recent):
            if status != Status.UP:
                break
            n += 1
        return n

    @property
    def last_status(self) -> int:
        return self.recent[-1][1] if self.recent else int(Status.UP)


@dataclass
class TestAlert:
    """What the machine remembers of a test. A test at rest has none of it (see `idle`)."""

    __test__ = False

    phase: str = "up"  # up | suspected | down | degraded
    incident_id: int | None = None
    started_ms: int | None = None
    regions: dict[str, RegionState] = field(default_factory=dict)
    window: list[tuple[int, bool]] = field(default_factory=list)  # (at_ms, was a 5xx)
    evidence: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return self.phase in ("down", "degraded")

    @property
    def idle(self) -> bool:
        """Nothing pending: the row can go."""
        return (
            self.phase == "up"
            and not self.window
            and all(r.fails == 0 for r in self.regions.values())
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TestAlert:
        return cls(
            phase=data["phase"],
            incident_id=data.get("incident_id"),
            started_ms=data.get("started_ms"),
            regions={
                k: RegionState([_entry(e) for e in v["recent"]]) for k, v in data["regions"].items()
            },
            window=[(int(t), bool(f)) for t, f in data["window"]],
            evidence=data.get("evidence", {}),
        )


def _entry(e: list[int]) -> tuple[int, int, int]:
    """A remembered result; rows written before attempts counted have two fields."""
    return (int(e[0]), int(e[1]), int(e[2]) if len(e) > 2 else 1)


@dataclass(frozen=True)
class Change:
    """What a result changed: 'opened', 'changed' (severity) or 'resolved'."""

    kind: str
    phase: str
    at_ms: int


def step(s: TestAlert, o: Observation, rule: Rule, regions_running: int) -> Change | None:
    """Feed one result. Mutates `s`; returns the incident change it caused, if any."""
    region = s.regions.setdefault(o.region, RegionState())
    if not region.add(o.at_ms, o.status, o.attempts if o.status is not Status.UP else 1):
        return None  # a repeat, or too old to matter
    failed = o.status is not Status.UP
    _remember(s, o, rule, failed)
    verdict = _verdict(s, rule, max(1, min(rule.regions, regions_running)))
    if verdict == "up" and s.open and not _recovered(s, rule):
        return None  # up again, but not for long enough: flapping keeps its one incident
    return _transition(s, verdict, o.at_ms)


def _recovered(s: TestAlert, rule: Rule) -> bool:
    return all(r.ups >= rule.recover_after for r in s.regions.values() if r.recent)


def _remember(s: TestAlert, o: Observation, rule: Rule, failed: bool) -> None:
    horizon = o.at_ms - rule.window_s * 1000
    if failed and (rule.max_failures is not None or rule.max_5xx is not None):
        s.window.append((o.at_ms, o.http_status is not None and 500 <= o.http_status < 600))
    if failed:
        found = s.evidence.setdefault(o.region, [])
        found.append(
            {
                "at_ms": o.at_ms,
                "status": Status(o.status).label,
                "http_status": o.http_status,
                "error_kind": o.error_kind,
                "error": (o.error or "")[:200] or None,
            }
        )
        del found[:-EVIDENCE_PER_REGION]
    s.window = [w for w in s.window if w[0] > horizon][-MAX_WINDOW:]


def _verdict(s: TestAlert, rule: Rule, required: int) -> str:
    confirming = [r for r in s.regions.values() if r.fails > rule.retries]
    if len(confirming) >= required:
        all_down = all(r.last_status == Status.DOWN for r in confirming)
        return "down" if all_down else "degraded"
    if _threshold_holds(s, rule):
        return "degraded"
    if any(r.fails for r in s.regions.values()):
        return "suspected"
    return "up"


def _threshold_holds(s: TestAlert, rule: Rule) -> bool:
    if rule.max_failures is not None and len(s.window) > rule.max_failures:
        return True
    return rule.max_5xx is not None and sum(f for _, f in s.window) >= rule.max_5xx


def _transition(s: TestAlert, verdict: str, at_ms: int) -> Change | None:
    if not s.open:
        if verdict == "up":
            s.phase, s.started_ms, s.evidence = "up", None, {}
            return None
        if s.phase == "up":
            s.started_ms = at_ms
        if verdict == "suspected":
            s.phase = "suspected"
            return None
        s.phase = verdict
        return Change("opened", verdict, at_ms)
    if verdict == "up":
        s.phase, s.started_ms, s.evidence, s.incident_id = "up", None, {}, None
        return Change("resolved", "up", at_ms)
    # Open, with some regions recovered but not all: at most degraded.
    severity = "degraded" if verdict == "suspected" else verdict
    if severity != s.phase:
        s.phase = severity
        return Change("changed", severity, at_ms)
    return None


def describe(s: TestAlert, rule: Rule) -> str:
    """Why the incident is open, in one line, from what the machine remembers."""
    failing = sorted((name, r) for name, r in s.regions.items() if r.fails > rule.retries)
    if failing:
        parts = []
        for name, _ in failing:
            last = (s.evidence.get(name) or [{}])[-1]
            parts.append(f"{name} ({last.get('error_kind') or last.get('status', 'failing')})")
        return f"failing in {len(failing)} region(s): " + ", ".join(parts)
    fivexx = sum(f for _, f in s.window)
    return f"{len(s.window)} failures ({fivexx} 5xx) in the last {rule.window_s} s"
