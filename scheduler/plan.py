"""What to tell a node: the pure difference between what it holds and what it should."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from scheduler.spread import owner
from shared.messages import TestSpec

Changes = dict[str, tuple[list[TestSpec], list[int]]]  # node -> (upserts, removals)


@dataclass
class NodePlan:
    """What one executor node was last told to hold, and its message sequence."""

    seq: int = 0
    sent: dict[int, TestSpec] = field(default_factory=dict)

    def diff(self, wanted: dict[int, TestSpec]) -> tuple[list[TestSpec], list[int]]:
        upserts = [s for i, s in wanted.items() if self.sent.get(i) != s]
        removals = [i for i in self.sent if i not in wanted]
        return upserts, removals

    def record(self, upserts: Iterable[TestSpec], removals: Iterable[int]) -> None:
        """The node was told these changes: it holds them now."""
        for spec in upserts:
            self.sent[spec.id] = spec
        for test_id in removals:
            self.sent.pop(test_id, None)


def changes(
    plans: Mapping[str, NodePlan],
    specs: Mapping[int, TestSpec],
    test_ids: Iterable[int],
    live: Collection[str],
) -> Changes:
    """What a region's nodes must be told about these tests alone: the same as sharing all
    of `specs` among `live` again and diffing, provided the plans were last shared among the
    same live nodes. Costs what the changed tests do, not what the region holds."""
    out: Changes = {}
    for test_id in sorted(test_ids):
        spec = specs.get(test_id)
        holder = owner(test_id, live) if spec is not None else None
        for node, plan in plans.items():
            held = plan.sent.get(test_id)
            if node == holder and held != spec:
                out.setdefault(node, ([], []))[0].append(spec)  # type: ignore[arg-type]
            elif node != holder and held is not None:
                out.setdefault(node, ([], []))[1].append(test_id)
    return out
