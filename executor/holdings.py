"""Which assignment messages an executor applies: a pure state machine per cell.

A full message is always applied. A delta applies only on top of the message before it
(same generation, next sequence number); anything else means something was missed, and the
executor asks for a resync instead of guessing. Messages older than what it holds are
ignored (a redelivery, or deltas queued before the full set it already has).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from shared.messages import Assignment


class Decision(Enum):
    APPLY = "apply"
    IGNORE = "ignore"
    RESYNC = "resync"


@dataclass(frozen=True)
class Position:
    """Where a cell's assignments stand on this executor."""

    generation: str
    seq: int


def decide(held: Position | None, msg: Assignment) -> Decision:
    if msg.full:
        if held and held.generation == msg.generation and msg.seq <= held.seq:
            return Decision.IGNORE
        return Decision.APPLY
    if held is None or held.generation != msg.generation:
        return Decision.RESYNC
    if msg.seq <= held.seq:
        return Decision.IGNORE
    if msg.seq == held.seq + 1:
        return Decision.APPLY
    return Decision.RESYNC
