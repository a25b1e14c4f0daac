"""What to tell a node: the pure difference between what it holds and what it should."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

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


def per_region(spec: TestSpec, regions: Sequence[str]) -> list[TestSpec]:
    """A test that runs in several regions is one spec per region; each names them all, only
    when there are several (a single-region spec stays as it always was on the wire)."""
    unique = tuple(dict.fromkeys(regions))  # in order, once each
    shared = unique if len(unique) > 1 else ()
    return [replace(spec, region=region, regions=shared) for region in unique]
