"""A whole cell started from the systemd units themselves, as plain processes: each unit of
vigil-cell.target runs its own ExecStart= line with the environment systemd would give it
(Environment=, then the example EnvironmentFile), migrations first. Only what ties the files
to one machine is moved: /etc/vigil, /var/lib/vigil and the install path into a scratch
directory, the secrets' contents to a scratch database, vhost and SMTP sink, the ports to free
ones. Then a user's monitor gets results and a test email arrives: the units start a cell."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import services
from tests.deploy import units
from tests.e2e.test_walking_skeleton import _sign_up
from tests.helpers import wait_sync
from tests.sinks import Sink
from tests.targets import ThreadedServer, free_port, target_app

# Only for the test's speed and its loopback peers: checks every second, private targets.
TEST_ONLY = {
    "VIGIL_MIN_INTERVAL": "1",
    "VIGIL_SCHEDULER_POLL": "0.2",
    "VIGIL_BATCH_MAX_DELAY": "0.2",
    "VIGIL_ALLOW_PRIVATE_TARGETS": "true",
    "VIGIL_NOTIFY_ALLOW_PRIVATE": "true",
    "VIGIL_LOG_FORMAT": "text",
}


@dataclass
class Cell:
    api_url: str
    frontend_url: str
    logs: Path
    procs: dict[str, subprocess.Popen[bytes]]

    def tail(self, name: str, lines: int = 40) -> str:
        text = (self.logs / f"{name}.log").read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def _secret_files(etc: Path, database_url: str, amqp_url: str, smtp_port: int) -> dict[str, str]:
    """The files the example EnvironmentFile names, with this session's peers in them."""
    contents = {
        "VIGIL_DATABASE_URL_FILE": database_url,
        "VIGIL_AMQP_URL_FILE": amqp_url,
        "VIGIL_SECRET_KEY_FILE": "systemd-cell-test-secret",
        "VIGIL_RABBITMQ_MANAGEMENT_URL_FILE": "http://guest:guest@127.0.0.1:15672",
        "VIGIL_SMTP_URL_FILE": f"smtp://127.0.0.1:{smtp_port}?security=plain",
    }
    example = units.env_file(units.ENV_EXAMPLE.read_text())
    named = {k: v for k, v in example.items() if k.endswith("_FILE")}
    assert set(named) == set(contents), "the test must fill every file the example names"
    for var, path in named.items():
        assert path.startswith("/etc/vigil/"), (var, path)
        target = etc / path.removeprefix("/etc/vigil/")
        target.write_text(contents[var] + "\n")
        target.chmod(0o640)
    return named


def _relocate(env: dict[str, str], scratch: Path) -> dict[str, str]:
    """Point /etc/vigil and /var/lib/vigil into the scratch directory."""
    moved = {}
    for key, value in env.items():
        for prefix in ("/etc/vigil/", "/var/lib/vigil"):
            if value.startswith(prefix):
                value = str(scratch / prefix.strip("/")) + value.removeprefix(prefix.rstrip("/"))
        moved[key] = value
    return moved


def _environment(unit: units.Unit, scratch: Path, ports: dict[str, str]) -> dict[str, str]:
    env = unit.environment({units.ENV_FILE: units.env_file(units.ENV_EXAMPLE.read_text())})
    env = _relocate(env, scratch)
    # systemd starts a service with a clean environment, not the caller's.
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(scratch),
        "LANG": "C.UTF-8",
        **env,
        **ports,
        **TEST_ONLY,
    }


def _argv(unit: units.Unit) -> list[str]:
    argv = unit.argv()
    assert argv[0] == units.INSTALLED_VIGIL, unit.name
    return [str(Path(sys.executable).parent / "vigil"), *argv[1:]]  # this checkout's install


def _start(units_: list[units.Unit], scratch: Path, ports: dict[str, str]) -> dict:
    logs = scratch / "logs"
    procs = {}
    for unit in units_:
        # Each process its own free side port (metrics, and health since issue 17, whose
        # fixed defaults other sessions on this machine may hold).
        own = {**ports, "VIGIL_METRICS_PORT": str(free_port())}
        with open(logs / f"{unit.name}.log", "wb") as out:
            procs[unit.name] = subprocess.Popen(
                _argv(unit),
                stdout=out,
                stderr=subprocess.STDOUT,
                env=_environment(unit, scratch, own),
            )
    return procs


def _stop(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs.values():
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def cell(tmp_path_factory, smtp_module: tuple[Sink, int]) -> Iterator[Cell]:
    scratch = tmp_path_factory.mktemp("systemd-cell")
    for folder in ("etc/vigil", "var/lib/vigil", "logs"):
        (scratch / folder).mkdir(parents=True)
    db_name = services.unique("vigil_units")
    vhost, amqp_url = services.create_vhost("vigil-units")
    _secret_files(scratch / "etc/vigil", services.database_url(db_name), amqp_url, smtp_module[1])
    api_port, frontend_port = free_port(), free_port()
    ports = {
        "VIGIL_API_PORT": str(api_port),
        "VIGIL_API_URL": f"http://127.0.0.1:{api_port}",
        "VIGIL_FRONTEND_PORT": str(frontend_port),
    }
    wanted = units.wanted_by_target()
    oneshots = [u for u in wanted if u.values("Service", "Type") == ["oneshot"]]
    services_ = [u for u in wanted if u not in oneshots]
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for unit in oneshots:  # Requires= and After= them: they finish before the rest start
            migrate = _start([unit], scratch, ports)[unit.name]
            assert migrate.wait(120) == 0, (scratch / f"logs/{unit.name}.log").read_text()
        procs = _start(services_, scratch, ports)
        c = Cell(
            f"http://127.0.0.1:{api_port}",
            f"http://127.0.0.1:{frontend_port}",
            scratch / "logs",
            procs,
        )
        wait_sync(lambda: _up(c.api_url + "/api/v1/health"), "the unit's API to answer")
        wait_sync(lambda: _up(c.frontend_url + "/healthz"), "the unit's frontend to answer")
        yield c
        for name, proc in procs.items():
            assert proc.poll() is None, f"{name} died:\n{c.tail(name)}"
    finally:
        _stop(procs)
        services.delete_vhost(vhost)
        services.drop_database_sync(db_name)
    # KillSignal=SIGTERM: every component drains and exits well (uvicorn re-raises the signal
    # once it has shut down, for its parent to see).
    for name, proc in procs.items():
        clean = proc.returncode == 0 or (
            name == "vigil@api.service" and proc.returncode == -signal.SIGTERM
        )
        assert clean, f"{name} stopped with {proc.returncode}:\n{c.tail(name)}"


@pytest.fixture(scope="module")
def smtp_module() -> Iterator[tuple[Sink, int]]:
    from tests.sinks import smtp_sink

    with smtp_sink() as server:
        yield server


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.e2e
def test_the_target_starts_every_component_as_its_own_process(cell: Cell) -> None:
    assert sorted(cell.procs) == sorted(
        u.name for u in units.wanted_by_target() if u.values("Service", "Type") != ["oneshot"]
    )
    for name, proc in cell.procs.items():
        assert proc.poll() is None, f"{name} died:\n{cell.tail(name)}"


@pytest.mark.e2e
def test_results_arrive_and_the_notifier_sends_through_the_relay(
    cell: Cell, smtp_module: tuple[Sink, int]
) -> None:
    target = ThreadedServer(target_app()).start()
    try:
        with httpx.Client(base_url=f"{cell.api_url}/api/v1", timeout=10) as client:
            _sign_up(client)
            created = client.post(
                "/monitors",
                json={
                    "name": "Shop",
                    "tests": [
                        {
                            "kind": "http",
                            "url": f"{target.url}/ok",
                            "interval_s": 1,
                            "timeout_s": 0.5,
                        }
                    ],
                },
            )
            assert created.status_code == 201, created.text
            test_id = created.json()["tests"][0]["id"]
            ups = wait_sync(
                lambda: [
                    r
                    for r in client.get(f"/tests/{test_id}/results").json()["items"]
                    if r["status"] == "up"
                ],
                "results through the cell the units started",
            )
            assert ups[0]["http_status"] == 200
            # The relay comes from VIGIL_SMTP_URL_FILE of the example environment file.
            channel = client.post(
                "/notification-channels",
                json={"name": "ops", "kind": "email", "config": {"to": ["ops@example.net"]}},
            )
            assert channel.status_code == 201, channel.text
            sent = client.post(f"/notification-channels/{channel.json()['id']}/test")
            assert sent.status_code == 202, sent.text
        sink = smtp_module[0]
        wait_sync(
            lambda: any(m["To"] == "ops@example.net" for m in sink.messages),
            "the notifier's test email at the relay",
        )
    finally:
        target.stop()


@pytest.mark.unit
def test_a_unit_gets_only_its_files_settings_moved_into_the_scratch_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VIGIL_CELL", "from-the-caller")
    env = _environment(units.load("vigil@api.service"), Path("/scratch"), {})
    leaked = (
        {k for k in env if k.startswith("VIGIL_")}
        - set(units.env_file(units.ENV_EXAMPLE.read_text()))
        - set(TEST_ONLY)
        - {"VIGIL_STATE_DIR"}
    )
    assert leaked == set() and "VIRTUAL_ENV" not in env and env["PATH"] == "/usr/bin:/bin"
    assert env["VIGIL_CELL"] == "a" != os.environ["VIGIL_CELL"]
    assert env["VIGIL_DATABASE_URL_FILE"] == "/scratch/etc/vigil/database-url"
    assert env["VIGIL_STATE_DIR"] == "/scratch/var/lib/vigil"
