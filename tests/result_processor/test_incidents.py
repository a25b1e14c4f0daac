"""Incidents driven by stored results, against PostgreSQL: rows, evidence, outbox events."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from result_processor import incidents
from result_processor.store import store_group
from shared.codec import decode_event
from shared.messages import IncidentEvent
from tests.helpers import short_name
from tests.result_processor.helpers import MINUTE, batch, down, ids, make_monitor, now_ms, up

pytestmark = pytest.mark.integration
RULE = {"retries": 1, "regions": 2, "recover_after": 1}


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    c = await asyncpg.connect(database_url)
    yield c
    await c.close()


async def store(conn: asyncpg.Connection, *groups) -> None:
    for results, region, node in groups:
        await store_group(
            conn,
            [batch(results, region=region, node=node)],
            datetime.now(UTC),
            after=[incidents.evaluate],
        )


async def events(conn: asyncpg.Connection, test_id: int) -> list[IncidentEvent]:
    rows = await conn.fetch(
        "SELECT body FROM event_outbox WHERE routing_key LIKE 'incident.%' ORDER BY id"
    )
    return [e for e in map(decode_event, (r["body"] for r in rows)) if e.test_id == test_id]


async def incident_rows(conn: asyncpg.Connection, test_id: int) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM incidents WHERE test_id = $1 ORDER BY id", test_id)


async def test_two_regions_agree_one_incident_opens_then_resolves(conn) -> None:
    monitor, [t] = await make_monitor(conn, rule=RULE)
    at = now_ms()
    for minute in range(3):
        when = at + minute * MINUTE
        await store(
            conn,
            ([down(t, when, kind="refused")], "eu", "n1"),
            ([down(t, when + 1, kind="timeout")], "us", "n2"),
        )
    [row] = await incident_rows(conn, t)
    assert row["state"] == "down" and row["monitor_id"] == monitor
    assert row["started_at"] == datetime.fromtimestamp(at / 1000, UTC)
    assert row["confirmed_at"] == datetime.fromtimestamp((at + MINUTE + 1) / 1000, UTC)
    assert set(row["cause"].split(": ")[1].split(", ")) == {"eu (refused)", "us (timeout)"}
    assert row["resolved_at"] is None
    evidence = json.loads(row["evidence"])
    assert set(evidence) == {"eu", "us"} and len(evidence["eu"]) == 3
    back = at + 3 * MINUTE
    await store(conn, ([up(t, back)], "eu", "n1"), ([up(t, back + 1)], "us", "n2"))
    [row] = await incident_rows(conn, t)
    assert row["state"] == "resolved"
    assert row["resolved_at"] == datetime.fromtimestamp((back + 1) / 1000, UTC)
    assert [(e.kind, e.state, e.incident_id) for e in await events(conn, t)] == [
        ("opened", "down", row["id"]),
        ("changed", "degraded", row["id"]),
        ("resolved", "resolved", row["id"]),
    ]
    assert await conn.fetchval("SELECT count(*) FROM alert_state WHERE test_id = $1", t) == 0


async def test_results_of_a_broken_node_do_not_count(conn) -> None:
    _, [t] = await make_monitor(conn, rule={"retries": 0, "regions": 1})
    node = short_name("broken")
    await conn.execute("INSERT INTO broken_nodes (node, reason) VALUES ($1, 'no network')", node)
    at = now_ms()
    await store(conn, ([down(t, at + i * MINUTE) for i in range(3)], "eu", node))
    await store(conn, ([down(t, at + 5 * MINUTE, kind="node_network")], "eu", "fine-node"))
    assert await incident_rows(conn, t) == []
    assert await conn.fetchval("SELECT count(*) FROM results WHERE test_id = $1", t) == 4
    await store(conn, ([down(t, at + 6 * MINUTE)], "eu", "fine-node"))
    assert len(await incident_rows(conn, t)) == 1


async def test_a_garbage_rule_falls_back_to_the_defaults(conn) -> None:
    _, [t] = await make_monitor(conn)
    await conn.execute("UPDATE tests SET alert_rule = '\"nonsense\"' WHERE id = $1", t)
    at = now_ms()
    await store(conn, ([down(t, at), down(t, at + MINUTE)], "eu", "n1"))
    [row] = await incident_rows(conn, t)  # default: one retry, one region here
    assert row["state"] == "down"


async def test_results_of_unknown_tests_are_stored_and_alert_nobody(conn) -> None:
    [t] = ids(1)
    await store(conn, ([down(t, now_ms() + i) for i in range(5)], "eu", "n1"))
    assert await incident_rows(conn, t) == []
    assert await conn.fetchval("SELECT count(*) FROM results WHERE test_id = $1", t) == 5


async def test_agreement_is_capped_at_the_regions_the_test_runs_in(conn) -> None:
    # Two regions must agree, but the test runs in one: its confirmation is enough, and a
    # region it no longer runs in (results still arriving from it) does not raise the bar.
    _, [t] = await make_monitor(conn, rule=RULE, regions=("eu",))
    at = now_ms()
    await store(conn, ([up(t, at - MINUTE)], "us", "n2"))
    await store(conn, ([down(t, at)], "eu", "n1"), ([down(t, at + MINUTE)], "eu", "n1"))
    [row] = await incident_rows(conn, t)
    assert row["confirmed_at"] == datetime.fromtimestamp((at + MINUTE) / 1000, UTC)


async def test_in_three_regions_two_must_agree(conn) -> None:
    _, [t] = await make_monitor(conn, rule=RULE, regions=("eu", "us", "ap"))
    at = now_ms()
    await store(conn, ([up(t, at - MINUTE)], "ap", "n3"))
    for minute in range(2):
        await store(conn, ([down(t, at + minute * MINUTE)], "eu", "n1"))
    assert await incident_rows(conn, t) == []  # one region of three is not enough
    for minute in range(2):
        await store(conn, ([down(t, at + minute * MINUTE + 1)], "us", "n2"))
    [row] = await incident_rows(conn, t)
    assert row["state"] == "down"


def test_running_regions_pure() -> None:
    assert incidents.running_regions(2, 1, {"eu"}) == 1  # the other region is silent
    assert incidents.running_regions(1, 3, {"eu"}) == 1  # capped at the configured
    assert incidents.running_regions(3, 0, {"eu", "us"}) == 2  # what this group shows
    assert incidents.running_regions(None, 2, set()) == 2  # a test without the column


@pytest.mark.parametrize(
    "extras, expected",
    [
        (None, 1),
        ({}, 1),
        ({"attempts": 3}, 3),
        ({"attempts": 0}, 1),
        ({"attempts": 99}, 10),
        ({"attempts": True}, 1),
        ({"attempts": "2"}, 1),
        ({"attempts": 2.5}, 1),
    ],
)
def test_attempts_of_garbage_counts_once(extras, expected) -> None:
    assert incidents.attempts_of(extras) == expected
