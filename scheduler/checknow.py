"""Who is asked to check a test now: the node holding it in each of its other regions.

Pure, so it is tested alone. Only live nodes are asked (a silent one would let the request
expire in its queue), and never the asking region: its own node has retried already.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from scheduler.plan import NodePlan

Key = tuple[str, str]  # (region, node)


def targets(
    plans: Mapping[Key, NodePlan],
    test_id: int,
    asking_region: str,
    is_live: Callable[[str, str], bool],
) -> list[Key]:
    return sorted(
        (region, node)
        for (region, node), plan in plans.items()
        if region != asking_region and test_id in plan.sent and is_live(region, node)
    )
