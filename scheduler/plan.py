"""What to tell a node: the pure difference between what it holds and what it should."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.messages import TestSpec


@dataclass
class NodePlan:
    """What one executor node was last told to hold, and its message sequence."""

    seq: int = 0
    sent: dict[int, TestSpec] = field(default_factory=dict)

    def diff(self, wanted: dict[int, TestSpec]) -> tuple[list[TestSpec], list[int]]:
        upserts = [s for i, s in wanted.items() if self.sent.get(i) != s]
        removals = [i for i in self.sent if i not in wanted]
        return upserts, removals


def by_region(specs: list[TestSpec]) -> dict[str, dict[int, TestSpec]]:
    out: dict[str, dict[int, TestSpec]] = {}
    for spec in specs:
        out.setdefault(spec.region, {})[spec.id] = spec
    return out
