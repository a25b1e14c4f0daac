"""The node registry: which executor nodes are alive, from their heartbeats.

A node is live while its last heartbeat arrived less than VIGIL_NODE_DEAD_AFTER ago (the
centre's clock, at receipt). The registry lives in memory for the scheduler's decisions and
in the `nodes` table for the API, `vigil region list` and the scheduler's next start.

It also judges, at each heartbeat, whether the node is broken (`health.broken_reason`: clock
skew, or a node that reaches nothing while its region's others do) and keeps `broken_nodes`
so: the processor counts no result of a broken node towards an incident.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from scheduler import health
from shared.messages import Heartbeat
from shared.tables import broken_nodes, nodes

log = logging.getLogger(__name__)


class Registry:
    def __init__(
        self, engine: AsyncEngine, dead_after_s: float, max_clock_skew_s: float = 30.0
    ) -> None:
        self.engine = engine
        self.dead_after_s = dead_after_s
        self.max_clock_skew_s = max_clock_skew_s
        self._seen: dict[tuple[str, str], float] = {}  # (region, node) -> monotonic receipt
        self._signs: dict[tuple[str, str], health.Signs] = {}
        self.broken: dict[str, str] = {}  # node -> reason, as this registry marked it

    async def restore(self) -> None:
        """At start: the nodes that beat recently enough still count as live."""
        async with self.engine.connect() as conn:
            self.broken = {
                r.node: r.reason
                for r in (
                    await conn.execute(
                        select(broken_nodes.c.node, broken_nodes.c.reason).where(
                            broken_nodes.c.reason.startswith(health.PREFIX)
                        )
                    )
                ).all()
            }
            rows = (
                await conn.execute(select(nodes.c.region, nodes.c.node, nodes.c.last_heartbeat))
            ).all()
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
        row = {
            "region": hb.region,
            "node": hb.node,
            "version": hb.version,
            "last_heartbeat": datetime.now(UTC),
            "sent_at": datetime.fromtimestamp(hb.sent_at_ms / 1000, UTC),
            "interval_s": hb.interval_s,
            "load": hb.load,
            "tests_held": hb.tests_held,
            "backlog": hb.backlog,
            "clock_offset_ms": hb.clock_offset_ms,
        }
        upsert = insert(nodes).values(row)
        upsert = upsert.on_conflict_do_update(
            index_elements=[nodes.c.region, nodes.c.node],
            set_={k: upsert.excluded[k] for k in row if k not in ("region", "node")},
        )
        signs = health.Signs(hb.clock_offset_ms, hb.checks, hb.network_failures)
        self._signs[(hb.region, hb.node)] = signs
        peers = [
            self._signs[(hb.region, n)]
            for n in self.live(hb.region)
            if n != hb.node and (hb.region, n) in self._signs
        ]
        reason = health.broken_reason(signs, peers, self.max_clock_skew_s)
        async with self.engine.begin() as conn:
            await conn.execute(upsert)
            await self._judge(conn, hb, reason)
        return not was_live

    async def _judge(self, conn: AsyncConnection, hb: Heartbeat, reason: str | None) -> None:
        """Mark the node broken, or healthy again, when that changed."""
        if reason == self.broken.get(hb.node):
            return
        if reason is None:
            await conn.execute(
                delete(broken_nodes).where(
                    broken_nodes.c.node == hb.node, broken_nodes.c.reason.startswith(health.PREFIX)
                )
            )
            del self.broken[hb.node]
            log.warning("node healthy again", extra={"region": hb.region, "node": hb.node})
            return
        upsert = insert(broken_nodes).values(node=hb.node, reason=reason)
        await conn.execute(
            upsert.on_conflict_do_update(
                index_elements=[broken_nodes.c.node],
                set_={"reason": reason},
                where=broken_nodes.c.reason.startswith(health.PREFIX),
            )
        )
        if hb.node not in self.broken:
            log.error(
                "node broken: its results do not count",
                extra={"region": hb.region, "node": hb.node, "reason": reason},
            )
        self.broken[hb.node] = reason
