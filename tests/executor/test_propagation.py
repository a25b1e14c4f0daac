"""A test changed in the database reaches the executor within two seconds, through the real
scheduler (default 1 s poll), RabbitMQ and executor."""

import asyncio
import json
import time

import aio_pika
import asyncpg
import pytest

from executor import service as executor_service
from scheduler.service import serve as serve_scheduler
from shared import amqp
from shared.config import Settings
from shared.messages import Assignment
from tests.helpers import eventually, short_name

pytestmark = pytest.mark.integration
LIMIT_S = 2.0


async def _insert_test(conn: asyncpg.Connection, region: str) -> int:
    account = await conn.fetchval(
        "INSERT INTO accounts (email, password_hash) VALUES ($1, 'x') RETURNING id",
        f"{short_name('u')}@example.com",
    )
    monitor = await conn.fetchval(
        "INSERT INTO monitors (account_id, name) VALUES ($1, 'm') RETURNING id", account
    )
    return await conn.fetchval(
        "INSERT INTO tests (monitor_id, account_id, kind, region, interval_s, timeout_s, config)"
        " VALUES ($1, $2, 'http', $3, 3600, 5, $4::jsonb) RETURNING id",
        monitor,
        account,
        region,
        json.dumps({"url": "http://127.0.0.1:1/v1"}),
    )


async def test_a_change_reaches_the_executor_within_two_seconds(
    database_url: str, amqp_url: str, tmp_path, monkeypatch
) -> None:
    region, cell = short_name("r"), short_name("c")
    applied: list[tuple[float, Assignment]] = []
    original = executor_service.Executor.apply

    async def recording_apply(self, a: Assignment) -> None:
        await original(self, a)
        applied.append((time.monotonic(), a))

    monkeypatch.setattr(executor_service.Executor, "apply", recording_apply)
    settings = Settings.from_env(
        {
            "VIGIL_DATABASE_URL": database_url,
            "VIGIL_AMQP_URL": amqp_url,
            "VIGIL_CELL": cell,
            "VIGIL_STATE_DIR": str(tmp_path),
            "VIGIL_ALLOW_PRIVATE_TARGETS": "1",
            "VIGIL_NODE_ID": "node-p",
        }
    )
    assert settings.scheduler_poll_s == 1.0  # the default is what we measure
    conn = await asyncpg.connect(database_url)
    test_id = await _insert_test(conn, region)
    async with await aio_pika.connect(amqp_url) as broker:  # so the first full set is kept
        await amqp.node_assignments_queue(await broker.channel(), region, "node-p")
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(serve_scheduler(settings, stop)),
        asyncio.create_task(executor_service.serve(settings, region, stop)),
    ]

    def holds(version: int) -> float | None:
        return next(
            (t for t, a in applied for s in a.upserts if s.id == test_id and s.version == version),
            None,
        )

    try:
        await eventually(lambda: asyncio.sleep(0, holds(1)), "the executor to hold the test")
        delays = []
        for version in (2, 3, 4):
            changed = time.monotonic()
            await conn.execute(
                "UPDATE tests SET version = $2, config = $3::jsonb WHERE id = $1",
                test_id,
                version,
                json.dumps({"url": f"http://127.0.0.1:1/v{version}"}),
            )
            arrived = await eventually(
                lambda v=version: asyncio.sleep(0, holds(v)),
                f"version {version} at the executor",
                timeout=10,
                every=0.02,
            )
            delays.append(arrived - changed)
        print(f"change -> executor: {[round(d, 3) for d in delays]} s")
        assert max(delays) < LIMIT_S, delays
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 15)
        await conn.execute("DELETE FROM tests WHERE id = $1", test_id)
        await conn.close()
