"""A real remote region for the session: a second RabbitMQ node in its own network namespace,
wired to the centre by `vigil region add`, with the cell's scheduler and processor running
here and the region's executors as subprocesses inside the namespace.

The centre broker listens on loopback only, so the region reaches it through a counting TCP
relay on this side of the veth pair; taking the veth link down cuts the region off for real.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest

from benchmark import region_node
from benchmark.tcp_relay import Relay
from result_processor.service import serve as serve_processor
from scheduler.service import serve as serve_scheduler
from shared.config import Settings
from tests import services
from tests.helpers import short_name

TARGET_PORT = 8999  # inside the region's namespace, on its own loopback


@dataclass
class Region:
    name: str
    node: region_node.RegionNode
    settings: Settings  # the centre's cell
    env: dict[str, str]  # what `vigil region ...` is run with
    relay: Relay
    logs: Path
    executors: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start_executor(self, node: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "VIGIL_AMQP_URL": self.node.amqp_url,
            "VIGIL_NODE_ID": node,
            "VIGIL_ALLOW_PRIVATE_TARGETS": "true",
            "VIGIL_HEARTBEAT_INTERVAL": "0.5",
            "VIGIL_NODE_DEAD_AFTER": "3",
            "VIGIL_BATCH_MAX_DELAY": "0.2",
            "VIGIL_LOG_FORMAT": "json",
        }
        argv = self.node.inside(
            [sys.executable, "-m", "ops.cli", "executor", "--region", self.name]
        )
        with open(self.logs / f"{node}.log", "ab") as out:
            proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.executors[node] = proc
        return proc

    def stop_executor(self, node: str, sig: int = signal.SIGTERM) -> int:
        """Stop it; returns how many results it had published (confirmed) in its life."""
        proc = self.executors.pop(node)
        proc.send_signal(sig)
        proc.wait(30)
        return published(self.logs / f"{node}.log")

    def vigil(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ops.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )


def published(log: Path) -> int:
    """Results an executor published, from its 'executor stopped' lines (one per life)."""
    total = 0
    for line in log.read_text(errors="replace").splitlines():
        if '"executor stopped"' in line:
            total += json.loads(line)["published"]
    return total


@pytest.fixture(scope="session")
def region_broker() -> Iterator[region_node.RegionNode]:
    why = region_node.available()
    if why:
        pytest.skip(why)
    node = region_node.start()  # ~10 s: once per session
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def target(region_broker: region_node.RegionNode, tmp_path_factory) -> Iterator[str]:
    """A web site inside the region (so a cut link does not make it unreachable)."""
    root = tmp_path_factory.mktemp("site")
    (root / "index.html").write_text("ok")
    proc = subprocess.Popen(
        region_broker.inside(
            [
                sys.executable,
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                "--directory",
                str(root),
                str(TARGET_PORT),
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield f"http://127.0.0.1:{TARGET_PORT}/"
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="session")
def region_services() -> Iterator[tuple[str, str]]:
    """A database and a vhost of the region tests' own: their scheduler reads every test."""
    db_name, database_url = services.create_migrated_database("vigil_region")
    vhost, amqp_url = services.create_vhost("vigil-region")
    yield database_url, amqp_url
    services.delete_vhost(vhost)
    services.drop_database_sync(db_name)


@pytest.fixture(scope="session")
async def region(
    region_broker: region_node.RegionNode, region_services: tuple[str, str], tmp_path_factory
) -> AsyncIterator[Region]:
    database_url, amqp_url = region_services
    vhost = amqp_url.rsplit("/", 1)[1]
    relay = await Relay(region_broker.host_ip, 0, "127.0.0.1", 5672).start()
    state = tmp_path_factory.mktemp("region-state")
    name = short_name("r")
    env = {
        **os.environ,
        "VIGIL_DATABASE_URL": database_url,
        "VIGIL_AMQP_URL": amqp_url,
        "VIGIL_CELL": short_name("c"),
        "VIGIL_REGIONS_FILE": str(state / "regions.json"),
        "VIGIL_SCHEDULER_POLL": "0.2",
        "VIGIL_HEARTBEAT_INTERVAL": "0.5",
        "VIGIL_NODE_DEAD_AFTER": "3",
        "VIGIL_LOG_FORMAT": "text",
        "CENTRE_URL": f"amqp://guest:guest@{relay.host}:{relay.port}/{vhost}",
        "REGION_MANAGEMENT_URL": region_broker.management_url,
    }
    settings = Settings.from_env(env)
    r = Region(name, region_broker, settings, env, relay, tmp_path_factory.mktemp("logs"))
    added = await asyncio.to_thread(
        r.vigil,
        "region",
        "add",
        name,
        "--amqp-url-env",
        "CENTRE_URL",
        "--management-url-env",
        "REGION_MANAGEMENT_URL",
        "--reconnect-delay",
        "1",
    )
    assert added.returncode == 0, added.stderr
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(serve_processor(settings, stop)),
        asyncio.create_task(serve_scheduler(settings, stop)),
    ]
    try:
        yield r
    finally:
        for node in list(r.executors):
            r.stop_executor(node, signal.SIGKILL)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 20)
        await relay.close()


async def insert_tests(
    database_url: str, region: str, url: str, n: int, interval_s: int = 1
) -> list[int]:
    conn = await asyncpg.connect(database_url)
    try:
        account = await conn.fetchval(
            "INSERT INTO accounts (email, password_hash) VALUES ($1, 'x') RETURNING id",
            f"{short_name('u')}@example.com",
        )
        monitor = await conn.fetchval(
            "INSERT INTO monitors (account_id, name) VALUES ($1, 'm') RETURNING id", account
        )
        return [
            await conn.fetchval(
                "INSERT INTO tests (monitor_id, account_id, kind, region, interval_s, timeout_s,"
                " config) VALUES ($1, $2, 'http', $3, $4, 2, $5::jsonb) RETURNING id",
                monitor,
                account,
                region,
                interval_s,
                json.dumps({"url": url}),
            )
            for _ in range(n)
        ]
    finally:
        await conn.close()
