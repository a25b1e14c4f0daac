"""GET /nodes: the executor fleet as this cell hears it (an operator's view, admins only).

Admins are the accounts listed in VIGIL_ADMIN_EMAILS; anyone else gets a 403.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from api.deps import AdminAccountId, Conn, SettingsDep
from api.routes import PREFIX
from shared.tables import broken_nodes, nodes

router = APIRouter(prefix=PREFIX, tags=["nodes"])


class NodeOut(BaseModel):
    region: str
    node: str
    version: str
    live: bool
    last_heartbeat: datetime
    first_seen: datetime
    load: float
    tests_held: int
    backlog: int
    clock_offset_ms: int | None
    broken: str | None = None  # why its results do not count (broken_nodes), if they don't


class RegionOut(BaseModel):
    region: str
    nodes: int
    live_nodes: int
    last_heartbeat: datetime
    alert: str | None  # "no live node": the region's silence is not the sites being down


class NodesOut(BaseModel):
    items: list[NodeOut]
    next: str | None = None
    regions: list[RegionOut]


@router.get("/nodes", response_model=NodesOut)
async def list_nodes(_: AdminAccountId, conn: Conn, settings: SettingsDep) -> NodesOut:
    query = select(nodes, broken_nodes.c.reason).select_from(
        nodes.outerjoin(broken_nodes, broken_nodes.c.node == nodes.c.node)
    )
    rows = (await conn.execute(query.order_by(nodes.c.region, nodes.c.node))).all()
    cutoff = datetime.now(UTC) - timedelta(seconds=settings.node_dead_after_s)
    items = [
        NodeOut(
            region=r.region,
            node=r.node,
            version=r.version,
            live=r.last_heartbeat > cutoff,
            last_heartbeat=r.last_heartbeat,
            first_seen=r.first_seen,
            load=r.load,
            tests_held=r.tests_held,
            backlog=r.backlog,
            clock_offset_ms=r.clock_offset_ms,
            broken=r.reason,
        )
        for r in rows
    ]
    regions: dict[str, list[NodeOut]] = {}
    for item in items:
        regions.setdefault(item.region, []).append(item)
    return NodesOut(
        items=items,
        regions=[
            RegionOut(
                region=name,
                nodes=len(group),
                live_nodes=sum(n.live for n in group),
                last_heartbeat=max(n.last_heartbeat for n in group),
                alert=None if any(n.live for n in group) else "no live node",
            )
            for name, group in regions.items()
        ],
    )
