"""A remote region against a real second RabbitMQ node: results reach the centre, a dead
node's tests move, and a cut link loses nothing and doubles nothing."""

from __future__ import annotations

import asyncio
import json
import signal
import time

import asyncpg
import pytest
from prometheus_client import REGISTRY

from tests.helpers import eventually
from tests.regions.conftest import Region, insert_tests

pytestmark = pytest.mark.integration


async def _rows(region: Region, query: str, *args) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(region.settings.database_url)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def _list(region: Region) -> dict:
    done = await asyncio.to_thread(region.vigil, "region", "list", "--json")
    assert done.returncode == 0, done.stderr
    return {r["region"]: r for r in json.loads(done.stdout)}[region.name]


async def test_region_add_wires_shovels_that_run(region: Region) -> None:
    async def running() -> dict | None:
        listed = await _list(region)
        return listed if set(listed.get("shovels", {}).values()) == {"running"} else None

    listed = await eventually(running, "both shovels running", timeout=30, every=0.5)
    assert set(listed["shovels"]) == {f"vigil-{region.name}-down", f"vigil-{region.name}-up"}
    assert "uplink" in listed and listed["centre_queue"] == 0  # (stats lag a few seconds)


async def test_a_result_taken_in_the_region_reaches_the_centre(region: Region, target) -> None:
    [test_id] = await insert_tests(region.settings.database_url, region.name, target, 1)
    region.start_executor("solo")
    try:
        rows = await eventually(
            lambda: _rows(
                region, "SELECT node, region, status FROM results WHERE test_id = $1", test_id
            ),
            "a result of the region in the centre's database",
            timeout=60,
        )
        assert (rows[0]["node"], rows[0]["region"], rows[0]["status"]) == ("solo", region.name, 1)
        listed = await _list(region)
        assert "solo" in {n["node"] for n in listed["nodes"]}
    finally:
        await asyncio.to_thread(region.stop_executor, "solo")
        await _rows(region, "UPDATE tests SET enabled = false WHERE id = $1", test_id)


async def _owners(region: Region, ids: list[int], since: float) -> dict[int, set[str]]:
    rows = await _rows(
        region,
        "SELECT DISTINCT test_id, node FROM results WHERE test_id ="
        " ANY($1) AND checked_at > to_timestamp($2)",
        ids,
        since,
    )
    out: dict[int, set[str]] = {}
    for r in rows:
        out.setdefault(r["test_id"], set()).add(r["node"])
    return out


async def test_a_killed_executors_tests_move_to_the_live_one(region: Region, target) -> None:
    ids = await insert_tests(region.settings.database_url, region.name, target, 12)
    region.start_executor("k1")
    region.start_executor("k2")
    try:
        started = time.time()
        owners = await eventually(
            lambda: _both(region, ids, started), "results of every test from k1 and k2", 60
        )
        k1_tests = [t for t, nodes in owners.items() if "k1" in nodes]
        killed = time.time()
        await asyncio.to_thread(region.stop_executor, "k1", signal.SIGKILL)

        async def moved() -> bool:
            after = await _owners(region, k1_tests, killed + 1)
            return all("k2" in after.get(t, set()) for t in k1_tests)

        await eventually(moved, "k1's tests checked by k2", timeout=30)
        took = time.time() - killed
        assert took < 30, f"tests moved after {took:.1f} s"
        print(f"\nfailover: {len(k1_tests)} tests moved from k1 to k2 in {took:.1f} s")

        back = time.time()
        region.start_executor("k1")
        await eventually(lambda: _from(region, ids, "k1", back), "k1 working again", 30)
    finally:
        for node in ("k1", "k2"):
            if node in region.executors:
                await asyncio.to_thread(region.stop_executor, node)
        await _rows(region, "UPDATE tests SET enabled = false WHERE id = ANY($1)", ids)


async def _both(region: Region, ids: list[int], since: float) -> dict[int, set[str]] | None:
    owners = await _owners(region, ids, since)
    seen = set().union(*owners.values()) if owners else set()
    return owners if len(owners) == len(ids) and {"k1", "k2"} <= seen else None


async def _from(region: Region, ids: list[int], node: str, since: float) -> bool:
    return any(node in nodes for nodes in (await _owners(region, ids, since)).values())


def _duplicates_suppressed() -> float:
    value = REGISTRY.get_sample_value("vigil_processor_batches_total", {"outcome": "duplicate"})
    return value or 0.0


async def test_a_cut_link_loses_nothing_and_doubles_nothing(region: Region, target) -> None:
    ids = await insert_tests(region.settings.database_url, region.name, target, 20)
    duplicates_before = _duplicates_suppressed()
    nodes = ("c1", "c2")
    for node in nodes:
        region.start_executor(node)
    try:
        await eventually(lambda: _from(region, ids, "c2", 0), "the region checking", 60)
        await asyncio.sleep(2)  # a steady load: 20 tests a second
        region.node.link(up=False)
        cut_at = time.time()
        buffered = 0
        while time.time() - cut_at < 25:  # longer than the shovels' heartbeats: they reconnect
            await asyncio.sleep(1)
            depths = await asyncio.to_thread(region.node.queue_depths)
            buffered = max(buffered, depths.get("vigil.uplink", (0, 0))[0])
        stored_during = await _rows(
            region,
            "SELECT count(*) AS n FROM results WHERE checked_at > to_timestamp($1)",
            cut_at + 2,
        )
        region.node.link(up=True)
        restored_at = time.time()
        await asyncio.sleep(3)
    finally:
        region.node.link(up=True)
        produced = 0
        for node in nodes:
            produced += await asyncio.to_thread(region.stop_executor, node)
        await _rows(region, "UPDATE tests SET enabled = false WHERE id = ANY($1)", ids)

    async def arrived() -> bool:
        rows = await _rows(
            region, "SELECT count(*) AS n FROM results WHERE node = ANY($1)", list(nodes)
        )
        return rows[0]["n"] >= produced

    await eventually(arrived, f"all {produced} results at the centre", timeout=90)
    [counts] = await _rows(
        region,
        "SELECT count(*) AS n, count(DISTINCT (test_id, checked_at, node)) AS d,"
        " count(*) FILTER (WHERE checked_at BETWEEN to_timestamp($2) AND to_timestamp($3))"
        " AS during FROM results WHERE node = ANY($1)",
        list(nodes),
        cut_at,
        restored_at,
    )
    figures = {
        "produced": produced,
        "buffered_messages_peak": buffered,
        "delivered": counts["n"],
        "distinct": counts["d"],
        "taken_during_cut": counts["during"],
        "stored_during_cut": stored_during[0]["n"],
        "duplicates_suppressed": _duplicates_suppressed() - duplicates_before,
    }
    print(f"\ncut link figures: {json.dumps(figures)}")
    (region.logs / "cut-figures.json").write_text(json.dumps(figures))
    assert counts["n"] == counts["d"] == produced  # none missing, none twice
    assert stored_during[0]["n"] == 0  # the link really was cut
    assert counts["during"] > 0 and buffered > 0  # checked while cut off, kept in the region
