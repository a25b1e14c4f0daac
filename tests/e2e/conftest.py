"""The whole system as real subprocesses, shared by the end-to-end tests of a session."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from shared import db
from shared.directory import Directory
from tests import services
from tests.dnspeer import Zone, dns_server_thread
from tests.helpers import short_name, wait_sync
from tests.sinks import Sink, smtp_sink
from tests.targets import free_port

COMPONENTS = ("processor", "scheduler", "executor", "notifier", "api", "frontend")
OPERATOR_EMAIL = "operator@example.com"  # the stack's one admin (VIGIL_ADMIN_EMAILS)


@dataclass
class Stack:
    api_url: str
    frontend_url: str
    logs: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # What the stack's DNS server (VIGIL_DOMAIN_DNS_SERVERS) answers; tests add records.
    dns_zone: Zone = field(default_factory=dict)
    # The operator's relay (VIGIL_SMTP_URL): every mail the notifier sends lands here.
    smtp: Sink | None = None
    env: dict[str, str] = field(default_factory=dict)  # what the components were started with

    def start(self, name: str, component: str | None = None) -> subprocess.Popen[bytes]:
        """Start (or start again) a component as `name`, its log appended to `name`.log."""
        argv = [sys.executable, "-m", "ops.cli", component or name]
        with open(self.logs / f"{name}.log", "ab") as out:
            self.procs[name] = subprocess.Popen(
                argv, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        return self.procs[name]

    def log_tail(self, name: str, lines: int = 30) -> str:
        text = (self.logs / f"{name}.log").read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def assert_running(self) -> None:
        for name, proc in self.procs.items():
            assert proc.poll() is None, f"{name} died:\n{self.log_tail(name)}"


@pytest.fixture(scope="session")
def stack_services() -> Iterator[tuple[str, str]]:
    """A database, a directory and a vhost of the stack's own: its scheduler reads every test
    in its database, so no other test's rows or queues may be shared with it."""
    db_name, database_url = services.create_migrated_database("vigil_e2e")
    dir_name, directory_url = services.create_directory_database("vigil_e2e_dir")
    vhost, amqp_url = services.create_vhost("vigil-e2e")
    yield database_url, amqp_url, directory_url
    services.delete_vhost(vhost)
    services.drop_database_sync(dir_name)
    services.drop_database_sync(db_name)


async def _register(directory_url: str, cell: str, api_url: str, database_url: str) -> None:
    engine = db.engine(directory_url, pool_size=1)
    try:
        await Directory(engine).add_cell(cell, api_url, database_url, 10_000)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def stack(stack_services: tuple[str, str, str], tmp_path_factory) -> Iterator[Stack]:
    database_url, amqp_url, directory_url = stack_services
    zone: Zone = {}
    with dns_server_thread(zone) as dns_port, smtp_sink() as (sink, smtp_port):
        yield from _stack(
            database_url, amqp_url, directory_url, zone, dns_port, tmp_path_factory, sink, smtp_port
        )


def _stack(
    database_url: str,
    amqp_url: str,
    directory_url: str,
    zone: Zone,
    dns_port: int,
    tmp_path_factory,
    sink: Sink,
    smtp_port: int,
) -> Iterator[Stack]:
    api_port, frontend_port = free_port(), free_port()
    logs = tmp_path_factory.mktemp("stack-logs")
    cell = short_name("e")
    asyncio.run(_register(directory_url, cell, f"http://127.0.0.1:{api_port}", database_url))
    env = {
        **os.environ,
        "VIGIL_DATABASE_URL": database_url,
        "VIGIL_AMQP_URL": amqp_url,
        "VIGIL_CELL": cell,
        "VIGIL_REGION": "local",
        "VIGIL_DIRECTORY_URL": directory_url,
        # Custom domains are proven against a DNS server of the session's, on loopback.
        "VIGIL_DOMAIN_DNS_SERVERS": f"127.0.0.1:{dns_port}",
        "VIGIL_API_PORT": str(api_port),
        "VIGIL_FRONTEND_PORT": str(frontend_port),
        "VIGIL_ALLOW_PRIVATE_TARGETS": "true",
        "VIGIL_MIN_INTERVAL": "1",
        "VIGIL_SCHEDULER_POLL": "0.2",
        "VIGIL_BATCH_MAX_DELAY": "0.2",
        "VIGIL_SECRET_KEY": "e2e-secret",
        "VIGIL_LOG_FORMAT": "text",
        # Webhooks go to a receiver on loopback; a failed try comes back within a second.
        "VIGIL_NOTIFY_ALLOW_PRIVATE": "true",
        "VIGIL_NOTIFY_BACKOFF_BASE": "200",
        "VIGIL_NOTIFY_TIMEOUT": "5",
        "VIGIL_STATE_DIR": str(logs / "state"),  # no holdings of an earlier run
        "VIGIL_ADMIN_EMAILS": OPERATOR_EMAIL,
        "VIGIL_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}?security=plain",
        "VIGIL_PUBLIC_URL": f"http://127.0.0.1:{frontend_port}",  # the links in mails
    }
    s = Stack(
        f"http://127.0.0.1:{api_port}",
        f"http://127.0.0.1:{frontend_port}",
        logs,
        dns_zone=zone,
        smtp=sink,
        env=env,
    )
    for name in COMPONENTS:
        s.start(name)
    try:
        wait_sync(lambda: _healthy(s.api_url + "/api/v1/health"), "the API to be healthy")
        wait_sync(lambda: _healthy(s.frontend_url + "/healthz"), "the frontend to be up")
        yield s
        s.assert_running()
    finally:
        _stop(s)
    for name, proc in s.procs.items():
        assert _stopped_cleanly(name, proc.returncode, s), (
            f"{name} did not stop cleanly ({proc.returncode}):\n{s.log_tail(name)}"
        )


def _stopped_cleanly(name: str, code: int, s: Stack) -> bool:
    if name == "api" and code == -signal.SIGTERM:
        # uvicorn shuts down gracefully, then re-raises the signal for its parent to see.
        return "Application shutdown complete" in s.log_tail(name, 200)
    return code == 0


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _stop(s: Stack) -> None:
    for proc in s.procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in s.procs.values():
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
