"""Which live node of a region runs which test: rendezvous (highest random weight) hashing.

Each test goes to the node with the highest hash of (test, node). When a node leaves, only
its tests move (each to its next-highest node); when it returns, exactly those come back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from shared.messages import TestSpec


def _weight(test_id: int, node: str) -> int:
    digest = hashlib.blake2b(f"{test_id}/{node}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner(test_id: int, nodes: Collection[str]) -> str:
    """The node that runs `test_id`; `nodes` must not be empty."""
    return max(nodes, key=lambda node: (_weight(test_id, node), node))


def split(specs: dict[int, TestSpec], nodes: Collection[str]) -> dict[str, dict[int, TestSpec]]:
    """A region's tests shared among its live nodes: every node gets an entry, maybe empty."""
    out: dict[str, dict[int, TestSpec]] = {node: {} for node in nodes}
    if nodes:
        for test_id, spec in specs.items():
            out[owner(test_id, nodes)][test_id] = spec
    return out
