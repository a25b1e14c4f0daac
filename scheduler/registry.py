"""The node registry: which executor nodes are alive, from their heartbeats.

A node is live while its last heartbeat arrived less than VIGIL_NODE_DEAD_AFTER ago (the
centre's clock, at receipt). The registry lives in memory for the scheduler's decisions and
in the `nodes` table for the API, `vigil region list` and the scheduler's next start.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.messages import Heartbeat
from shared.tables import nodes


class Registry:
    def __init__(self, engine: AsyncEngine, dead_after_s: float) -> None:
        self.engine = engine
        self.dead_after_s = dead_after_s
        self._seen: dict[tuple[str, str], float] = {}  # (region, node) -> monotonic receipt

    async def restore(self) -> None:
        """At start: the nodes that beat recently enough still count as live."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(nodes.c.region, nodes.c.node,
                                              nodes.c.last_heartbeat))).all()
        now_wall, now = datetime.now(UTC), time.monotonic()
        for r in rows:
            age = (now_wall - r.last_heartbeat).total_seconds()
            if age < self.dead_after_s:
                self._seen[(r.region, r.node)] = now - max(age, 0.0)

    def is_live(self, region: str, node: str) -> bool:
        seen = self._seen.get((region, node))
        return seen is not None and time.monotonic() - seen < self.dead_after_s

    def live(self, region: str) -> list[str]:
        return sorted(n for (r, n) in self._seen if r == region and self.is_live(r, n))

    def regions(self) -> set[str]:
        return {r for r, _ in self._seen}

    async def beat(self, hb: Heartbeat) -> bool:
        """Record a heartbeat; True if the node was not live before it."""
        was_live = self.is_live(hb.region, hb.node)
        self._seen[(hb.region, hb.node)] = time.monotonic()
        row = {"region": hb.region, "node": hb.node, "version": hb.version,
               "last_heartbeat": datetime.now(UTC),
               "sent_at": datetime.fromtimestamp(hb.sent_at_ms / 1000, UTC),
               "interval_s": hb.interval_s, "load": hb.load, "tests_held": hb.tests_held,
               "backlog": hb.backlog, "clock_offset_ms": hb.clock_offset_ms}
        upsert = insert(nodes).values(row)
        upsert = upsert.on_conflict_do_update(
            index_elements=[nodes.c.region, nodes.c.node],
            set_={k: upsert.excluded[k] for k in row if k not in ("region", "node")})
        async with self.engine.begin() as conn:
            await conn.execute(upsert)
        return not was_live
