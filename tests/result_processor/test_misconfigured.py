"""A test that cannot run is not an outage: the real processor stores a result the executor
refused as `config`, shows the test as misconfigured with the reason, and opens no incident
and sends no alert, while a real failure in the same batch does both."""

from __future__ import annotations

import uuid

import aio_pika
import asyncpg
import pytest

from shared import amqp, names
from shared.codec import decode_event, encode_batch
from shared.messages import CONFIG_ERROR, IncidentEvent, Result, ResultBatch, Status
from tests.api.helpers import client_for, create_monitor, new_user
from tests.helpers import eventually
from tests.result_processor.helpers import MINUTE, make_monitor, now_ms
from tests.result_processor.test_processor import processors

pytestmark = pytest.mark.integration

REASON = "url: must start with tcp://"
ONE_FAILURE_OPENS = '{"retries": 0, "regions": 1}'


async def _publish(amqp_url: str, batch: ResultBatch) -> None:
    conn = await aio_pika.connect(amqp_url)
    async with conn:
        channel = await conn.channel()
        ex = await channel.declare_exchange(names.RESULTS_EXCHANGE, "direct", durable=True)
        await ex.publish(amqp.persistent(encode_batch(batch)), routing_key=batch.cell)


async def _events_until(amqp_url: str, cell: str, test_id: int) -> list[IncidentEvent]:
    """Every incident event the cell sent for the notifier, until one for `test_id`."""
    seen: list[IncidentEvent] = []
    conn = await aio_pika.connect(amqp_url)
    async with conn:
        channel = await conn.channel()
        queue = await channel.declare_queue(
            names.notifications_queue(cell), durable=True, passive=True
        )

        async def arrived() -> bool:
            while (message := await queue.get(fail=False)) is not None:
                await message.ack()
                seen.append(decode_event(message.body))
            return any(e.test_id == test_id for e in seen)

        await eventually(arrived, f"the incident event of test {test_id}")
    return seen


async def test_a_refused_config_is_misconfigured_without_incident_or_alert(
    database_url: str, amqp_url: str
) -> None:
    async with client_for(database_url) as api:
        user = await new_user(api)
        monitor = await create_monitor(api, user)
        [tid] = [t["id"] for t in monitor["tests"]]
        db = await asyncpg.connect(database_url)
        try:
            # The same rule as the control: one failure would open an incident at once.
            await db.execute(
                "UPDATE tests SET alert_rule = $2 WHERE id = $1", tid, ONE_FAILURE_OPENS
            )
            _, [control] = await make_monitor(
                db, rule={"retries": 0, "regions": 1}, regions=("local",)
            )
            at = now_ms()
            async with processors(database_url, amqp_url) as cell:
                refused = Result(tid, at, Status.DOWN, None, None, CONFIG_ERROR, REASON)
                failed = Result(control, at, Status.DOWN, None, None, "timeout", "timed out")
                await _publish(
                    amqp_url,
                    ResultBatch(uuid.uuid4().bytes, cell, "local", "node-1", [refused, failed]),
                )
                events = await _events_until(amqp_url, cell, control)
                assert [e.test_id for e in events if e.test_id == tid] == []
                assert (
                    await db.fetchval("SELECT count(*) FROM results_week WHERE test_id = $1", tid)
                    == 1
                )  # stored
                assert (
                    await db.fetchval("SELECT count(*) FROM incidents WHERE test_id = $1", tid) == 0
                )
                assert (
                    await db.fetchval("SELECT count(*) FROM incidents WHERE test_id = $1", control)
                    == 1
                )
                assert (
                    await db.fetchval(
                        "SELECT status FROM monitor_state WHERE monitor_id = $1", monitor["id"]
                    )
                    != 0
                )

                shown = (
                    await api.get(f"/api/v1/monitors/{monitor['id']}", headers=user.headers)
                ).json()
                assert shown["status"] == "misconfigured"
                state = shown["tests"][0]["state"]
                assert (state["status"], state["error_kind"], state["error"]) == (
                    "misconfigured",
                    CONFIG_ERROR,
                    REASON,
                )
                results = (
                    await api.get(f"/api/v1/tests/{tid}/results", headers=user.headers)
                ).json()["items"]
                assert [r["status"] for r in results] == ["misconfigured"]

                # Fixed, then really failing: the same test does alert, so nothing mutes it.
                timeout = Result(tid, at + MINUTE, Status.DOWN, None, None, "timeout", "slow")
                await _publish(
                    amqp_url, ResultBatch(uuid.uuid4().bytes, cell, "local", "node-1", [timeout])
                )
                events = await _events_until(amqp_url, cell, tid)
                assert [(e.kind, e.state) for e in events if e.test_id == tid] == [
                    ("opened", "down")
                ]
                shown = (
                    await api.get(f"/api/v1/monitors/{monitor['id']}", headers=user.headers)
                ).json()
                assert shown["tests"][0]["state"]["status"] == "down"
                assert shown["tests"][0]["state"]["since"] != state["since"]
        finally:
            await db.close()
