"""A ping answered 200 is never lost: the API and the processor run as real processes, are
SIGKILLed right after the answers, and every answered ping is stored once the processor is
back."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests import services
from tests.helpers import short_name, wait_sync
from tests.targets import free_port

pytestmark = pytest.mark.e2e
PINGS = 60


@pytest.fixture
def cell(tmp_path: Path) -> Iterator[tuple[dict[str, str], str]]:
    db_name, database_url = services.create_migrated_database("vigil_durable")
    vhost, amqp_url = services.create_vhost("vigil-durable")
    port = free_port()
    env = {
        **os.environ,
        "VIGIL_DATABASE_URL": database_url,
        "VIGIL_AMQP_URL": amqp_url,
        "VIGIL_CELL": short_name("d"),
        "VIGIL_API_PORT": str(port),
        "VIGIL_SECRET_KEY": "durable-secret",
        "VIGIL_LOG_FORMAT": "text",
        "VIGIL_PING_RATE": "0",
        "VIGIL_STATE_DIR": str(tmp_path),
    }
    try:
        yield env, f"http://127.0.0.1:{port}"
    finally:
        services.delete_vhost(vhost)
        services.drop_database_sync(db_name)


def _start(name: str, env: dict[str, str], logs: Path) -> subprocess.Popen[bytes]:
    with open(logs / f"{name}.log", "ab") as out:  # the process has its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "ops.cli", name], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def _stored(database_url: str) -> tuple[int, int]:
    async def count() -> tuple[int, int]:
        conn = await asyncpg.connect(database_url)
        try:
            return (
                await conn.fetchval("SELECT count(*) FROM results"),
                await conn.fetchval("SELECT count(*) FROM results_week"),
            )
        finally:
            await conn.close()

    return asyncio.run(count())


async def _burst(url: str, n: int) -> int:
    async with httpx.AsyncClient(timeout=20) as client:
        answers = await asyncio.gather(*(client.post(url, content=f"run {i}") for i in range(n)))
    return sum(a.status_code == 200 for a in answers)


def test_answered_pings_survive_sigkill_of_the_processor_and_the_api(
    cell: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    env, api_url = cell
    procs = {name: _start(name, env, tmp_path) for name in ("api", "processor")}
    try:
        wait_sync(lambda: _healthy(api_url), "the API to be up")
        with httpx.Client(base_url=f"{api_url}/api/v1", timeout=10) as client:
            email = f"{short_name('job')}@example.com"
            body = {"email": email, "password": "correct horse battery"}
            client.post("/auth/signup", json=body).raise_for_status()
            token = client.post("/auth/login", json=body).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            made = client.post(
                "/monitors",
                json={"name": "job", "tests": [{"kind": "heartbeat", "interval_s": 3600}]},
            )
            ping_url = made.json()["tests"][0]["ping_url"]

        # A burst, and the processor killed the moment its answers are in.
        first = asyncio.run(_burst(ping_url, PINGS))
        _kill(procs["processor"])
        # More answered while no processor runs at all, then the API killed too.
        second = asyncio.run(_burst(ping_url, PINGS))
        _kill(procs["api"])
        assert first == second == PINGS

        procs["processor"] = _start("processor", env, tmp_path)
        database_url = env["VIGIL_DATABASE_URL"]
        wait_sync(
            lambda: _stored(database_url) == (2 * PINGS, 2 * PINGS),
            "every answered ping to be stored",
            timeout=60,
        )
        assert _stored(database_url) == (2 * PINGS, 2 * PINGS)  # and none twice
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                _kill(proc)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/api/v1/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
