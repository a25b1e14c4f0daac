"""Is a node broken? Then its results must not count (the `broken_nodes` table).

Two signs, both from its heartbeats, judged at each one:
- its clock is off the centre's by more than VIGIL_MAX_CLOCK_SKEW: its results would land at
  the wrong times;
- every check it finished in the last minute (at least MIN_CHECKS of them) failed at the
  network level (shared.checkspec.NETWORK_ERROR_KINDS) while another live node of its region
  had checks that did not: the node cannot reach anything, the sites are not down.
It is healthy again as soon as neither holds: its clock is back, one check got through, or
the region's other nodes fail too (then the targets are down, and its results count).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MIN_CHECKS = 3  # fewer checks than this say nothing about a node's network
PREFIX = "heartbeat: "  # the reasons this module writes; rows of other writers are left alone


@dataclass(frozen=True)
class Signs:
    """What a node's latest heartbeat says of its health."""

    clock_offset_ms: int | None = None
    checks: int | None = None
    network_failures: int | None = None

    @property
    def cut_off(self) -> bool:
        return (
            self.checks is not None
            and self.checks >= MIN_CHECKS
            and self.network_failures == self.checks
        )

    @property
    def reaching(self) -> bool:
        """Some of its checks got an answer from a target."""
        return bool(self.checks) and (self.network_failures or 0) < (self.checks or 0)


def broken_reason(me: Signs, peers: Iterable[Signs], max_skew_s: float) -> str | None:
    """Why the node is broken, or None; `peers` are the other live nodes of its region."""
    offset = me.clock_offset_ms
    if offset is not None and abs(offset) > max_skew_s * 1000:
        return f"{PREFIX}clock off by {offset / 1000:+.1f} s (more than {max_skew_s:g} s)"
    if me.cut_off and any(p.reaching for p in peers):
        return (
            f"{PREFIX}all {me.checks} checks of the last minute failed at the network "
            "level while other nodes of the region reached their targets"
        )
    return None
