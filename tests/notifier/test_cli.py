"""`vigil notifier` as the operator starts it: a process that consumes and stops on SIGTERM."""

import os
import signal
import subprocess
import sys

import aio_pika
import pytest

from shared import names
from tests.helpers import eventually, short_name

pytestmark = pytest.mark.integration


async def test_vigil_notifier_starts_consumes_and_stops_cleanly(database_url, amqp_url) -> None:
    cell = short_name("c")
    env = {
        **os.environ,
        "VIGIL_DATABASE_URL": database_url,
        "VIGIL_AMQP_URL": amqp_url,
        "VIGIL_CELL": cell,
        "VIGIL_LOG_FORMAT": "text",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ops.cli", "notifier"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:

        async def consuming() -> bool:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            conn = await aio_pika.connect(amqp_url)
            async with conn:
                channel = await conn.channel()
                try:
                    q = await channel.declare_queue(names.deliveries_queue(cell), passive=True)
                except aio_pika.exceptions.ChannelClosed:
                    return False
                return (q.declaration_result.consumer_count or 0) > 0

        await eventually(consuming, "vigil notifier to consume its cell's deliveries")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


def test_a_bad_setting_stops_start_up_naming_the_variable() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ops.cli", "notifier"],
        env={**os.environ, "VIGIL_HOOKS": "page=not/absolute"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "VIGIL_HOOKS" in proc.stderr
