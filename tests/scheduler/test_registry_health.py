"""The node registry marks broken nodes in `broken_nodes` from their heartbeats, and clears
them when they are healthy again, against the real PostgreSQL."""

import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from scheduler.registry import Registry
from shared import db
from shared.messages import Heartbeat
from shared.tables import broken_nodes
from tests.helpers import short_name

pytestmark = pytest.mark.integration


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    e = db.engine(database_url, pool_size=1)
    yield e
    await e.dispose()


def _beat(
    region: str,
    node: str,
    offset: int | None = 10,
    checks: int | None = 40,
    netfail: int | None = 0,
) -> Heartbeat:
    return Heartbeat(
        region,
        node,
        "t",
        int(time.time() * 1000),
        5.0,
        0.1,
        10,
        0,
        offset,
        checks=checks,
        network_failures=netfail,
    )


async def _broken(engine: AsyncEngine, node: str) -> str | None:
    async with engine.connect() as conn:
        return await conn.scalar(select(broken_nodes.c.reason).where(broken_nodes.c.node == node))


async def test_clock_skew_marks_a_node_broken_until_its_clock_is_back(engine) -> None:
    region, node = short_name("r"), short_name("n")
    registry = Registry(engine, 20, max_clock_skew_s=30)
    await registry.beat(_beat(region, node, offset=-31_000))
    assert "clock" in (await _broken(engine, node) or "")
    await registry.beat(_beat(region, node, offset=-200))
    assert await _broken(engine, node) is None


async def test_a_node_failing_every_check_at_the_network_level_alone_is_broken(engine) -> None:
    region, sick, well = short_name("r"), short_name("n"), short_name("n")
    registry = Registry(engine, 20)
    await registry.beat(_beat(region, well))
    await registry.beat(_beat(region, sick, netfail=40))
    assert "network" in (await _broken(engine, sick) or "")
    assert await _broken(engine, well) is None
    # A restarted scheduler remembers whom it marked, and clears it when it is fine.
    again = Registry(engine, 20)
    await again.restore()
    await again.beat(_beat(region, sick, netfail=12))
    assert await _broken(engine, sick) is None


async def test_a_mark_of_another_writer_is_left_alone(engine) -> None:
    region, node = short_name("r"), short_name("n")
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO broken_nodes (node, reason) VALUES (:n, 'operator: bad NIC')"),
            {"n": node},
        )
    registry = Registry(engine, 20)
    await registry.restore()
    await registry.beat(_beat(region, node))
    assert await _broken(engine, node) == "operator: bad NIC"
