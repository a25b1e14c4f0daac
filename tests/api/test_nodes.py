"""GET /api/v1/nodes: the fleet, for operators only."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.dialects.postgresql import insert

from shared.tables import broken_nodes, nodes
from tests.api.helpers import PASSWORD, client_for, new_user, unique_email
from tests.helpers import short_name

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)


async def _node(engine, region: str, node: str, age_s: float) -> None:
    seen = datetime.now(UTC) - timedelta(seconds=age_s)
    async with engine.begin() as conn:
        await conn.execute(
            insert(nodes).values(
                region=region,
                node=node,
                version="0.1.0",
                last_heartbeat=seen,
                sent_at=seen,
                interval_s=5.0,
                load=0.25,
                tests_held=7,
                backlog=0,
                clock_offset_ms=12,
            )
        )


async def test_operators_see_nodes_and_regions_with_alerts(database_url, engine, client) -> None:
    live_region, dead_region = short_name("r"), short_name("r")
    await _node(engine, live_region, "n1", 1)
    await _node(engine, live_region, "n2", 3600)
    await _node(engine, dead_region, "n3", 3600)
    email = unique_email()
    async with client_for(database_url, VIGIL_ADMIN_EMAILS=f"other@example.com,{email}") as api:
        await api.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD})
        token = (
            await api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        ).json()
        got = await api.get(
            "/api/v1/nodes", headers={"Authorization": f"Bearer {token['access_token']}"}
        )
    assert got.status_code == 200, got.text
    body = got.json()
    mine = {
        (n["region"], n["node"]): n
        for n in body["items"]
        if n["region"] in (live_region, dead_region)
    }
    assert {k: n["live"] for k, n in mine.items()} == {
        (live_region, "n1"): True,
        (live_region, "n2"): False,
        (dead_region, "n3"): False,
    }
    assert mine[(live_region, "n1")]["tests_held"] == 7
    regions = {r["region"]: r for r in body["regions"]}
    assert (regions[live_region]["live_nodes"], regions[live_region]["alert"]) == (1, None)
    assert regions[dead_region]["alert"] == "no live node"


async def test_anyone_else_is_refused(client) -> None:
    user = await new_user(client)
    assert (await client.get("/api/v1/nodes", headers=user.headers)).status_code == 403
    assert (await client.get("/api/v1/nodes")).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert (await client.get("/api/v1/nodes", headers=bad)).status_code == 401


async def test_a_broken_node_says_why_its_results_do_not_count(
    database_url, engine, client
) -> None:
    region, sick = short_name("r"), short_name("n")
    await _node(engine, region, sick, 1)
    async with engine.begin() as conn:
        await conn.execute(insert(broken_nodes).values(node=sick, reason="heartbeat: clock"))
    email = unique_email()
    async with client_for(database_url, VIGIL_ADMIN_EMAILS=email) as api:
        await api.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD})
        token = (
            await api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        ).json()
        got = await api.get(
            "/api/v1/nodes", headers={"Authorization": f"Bearer {token['access_token']}"}
        )
    [mine] = [n for n in got.json()["items"] if n["node"] == sick]
    assert mine["broken"] == "heartbeat: clock"
