"""`vigil stack`: every component of a local setup as child processes, for `make run`.

Two cells, `a` (API on :8100, database vigil_a) and `b` (:8101, vigil_b), each with its
scheduler and processor, behind one directory (vigil_directory); one executor serves
both, one frontend finds each user's cell through the directory. It migrates, registers
the cells, starts everything, seeds the demo account through the API, prints where to
go, and on Ctrl-C stops every child cleanly.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from ops.demo import DEMO_MONITORS
from ops.migrate import upgrade, upgrade_directory
from shared import db, runtime
from shared.config import Settings
from shared.directory import Directory

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "vigil-demo"
DEMO_INTERVAL_S = 10
STOP_GRACE_S = 10
CELL_CAPACITY = 500  # the seed design's first instance: 500 users, then the next
EXECUTOR_METRICS_PORT = 9100  # the cells' components take 9101-9106 (docs/OPERATING.md)


@dataclass(frozen=True)
class LocalCell:
    name: str
    api_port: int
    database_url: str
    metrics_ports: tuple[int, int, int]  # processor, scheduler, notifier

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def local_cells(settings: Settings) -> list[LocalCell]:
    return [
        LocalCell("a", settings.api_port, settings.database_url, (9101, 9102, 9103)),
        LocalCell(
            "b",
            settings.api_port + 1,
            _with_database(settings.database_url, "vigil_b"),
            (9104, 9105, 9106),
        ),
    ]


def directory_url(settings: Settings) -> str:
    return settings.directory_url or _with_database(settings.database_url, "vigil_directory")


def children(settings: Settings) -> list[tuple[str, list[str], dict[str, str]]]:
    vigil = [sys.executable, "-m", "ops.cli"]
    cells = local_cells(settings)
    children = [
        ("demo-targets", [sys.executable, "-m", "ops.demo"], {}),
        (
            "executor",
            [*vigil, "executor", "--region", settings.region],
            {"VIGIL_METRICS_PORT": str(EXECUTOR_METRICS_PORT)},
        ),
    ]
    for cell in cells:
        env = {
            "VIGIL_CELL": cell.name,
            "VIGIL_DATABASE_URL": cell.database_url,
            "VIGIL_API_PORT": str(cell.api_port),
            "VIGIL_API_URL": cell.api_url,
        }
        processor_port, scheduler_port, notifier_port = cell.metrics_ports
        children += [
            (
                f"notifier-{cell.name}",
                [*vigil, "notifier"],
                {**env, "VIGIL_METRICS_PORT": str(notifier_port)},
            ),
            (
                f"processor-{cell.name}",
                [*vigil, "processor"],
                {**env, "VIGIL_METRICS_PORT": str(processor_port)},
            ),
            (
                f"scheduler-{cell.name}",
                [*vigil, "scheduler"],
                {**env, "VIGIL_METRICS_PORT": str(scheduler_port)},
            ),
            (f"api-{cell.name}", [*vigil, "api"], env),
        ]
    # One frontend for every cell: it asks cell a's API where each user lives.
    children.append(("frontend", [*vigil, "frontend"], {"VIGIL_API_URL": cells[0].api_url}))
    return children


async def _register(settings: Settings) -> None:
    engine = db.engine(directory_url(settings), pool_size=1)
    directory = Directory(engine)
    for cell in local_cells(settings):
        await directory.add_cell(cell.name, cell.api_url, cell.database_url, CELL_CAPACITY)
    await engine.dispose()


def _stack_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["VIGIL_DIRECTORY_URL"] = directory_url(settings)
    # The demo targets live on loopback, and the demo wants results within a minute.
    env.setdefault("VIGIL_ALLOW_PRIVATE_TARGETS", "true")
    env.setdefault("VIGIL_NOTIFY_ALLOW_PRIVATE", "true")
    # No mail relay here to carry sign-up links: a sign-up makes its account at once.
    env.setdefault("VIGIL_SIGNUP_CONFIRM", "false")
    env.setdefault("VIGIL_MIN_INTERVAL", str(DEMO_INTERVAL_S))
    env.setdefault("VIGIL_LOG_FORMAT", "text")
    return env


def run_stack(settings: Settings) -> int:
    for cell in local_cells(settings):
        upgrade(cell.database_url)
    upgrade_directory(directory_url(settings))
    asyncio.run(_register(settings))
    env = _stack_env(settings)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    runtime.stop_on_sigterm()
    try:
        for name, argv, extra in children(settings):
            procs[name] = subprocess.Popen(argv, env={**env, **extra})
        seed_demo(local_cells(settings)[0].api_url)
        _announce(settings)
        return _supervise(procs)
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(procs)


def _supervise(procs: dict[str, subprocess.Popen[bytes]]) -> int:
    while True:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(
                    f"vigil stack: {name} exited with {proc.returncode}; stopping", file=sys.stderr
                )
                return 1
        time.sleep(0.5)


def _stop(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for proc in procs.values():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()


def seed_demo(api_url: str, timeout_s: float = 60) -> None:
    """Create the demo account and its monitors through the API, unless they exist.

    Sign-up follows the directory's redirect to the cell it places the account in; the
    log-in asks the directory (POST /auth/locate) which cell that is.
    """
    with httpx.Client(base_url=f"{api_url}/api/v1", timeout=10) as entry:
        _wait_healthy(entry, timeout_s)
        creds = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        entry.post("/auth/signup", json=creds, follow_redirects=True)
        cell_url = entry.post("/auth/locate", json={"email": DEMO_EMAIL}).json()["api_url"]
    with httpx.Client(base_url=f"{cell_url}/api/v1", timeout=10) as api:
        _wait_healthy(api, timeout_s)
        login = api.post("/auth/login", json=creds)
        login.raise_for_status()
        api.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        if api.get("/monitors").json()["items"]:
            return
        for name, url in DEMO_MONITORS:
            test = {"kind": "http", "url": url, "interval_s": DEMO_INTERVAL_S, "timeout_s": 5}
            api.post("/monitors", json={"name": name, "tests": [test]}).raise_for_status()


def _wait_healthy(api: httpx.Client, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if api.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the API did not become healthy within {timeout_s:.0f} s")


def side_ports(settings: Settings) -> str:
    """Where each component of the stack serves /metrics, /healthz and /readyz."""
    ports = [f"executor :{EXECUTOR_METRICS_PORT}"]
    for cell in local_cells(settings):
        ports += [
            f"{name}-{cell.name} :{port}"
            for name, port in zip(
                ("processor", "scheduler", "notifier"), cell.metrics_ports, strict=True
            )
        ]
    return ", ".join(ports)


def _announce(settings: Settings) -> None:
    apis = "\n".join(
        f"  API of cell {c.name}: {c.api_url}/api/v1  (docs: {c.api_url}/api/v1/docs)"
        for c in local_cells(settings)
    )
    print(
        f"""
Vigil is running.
  Frontend:   http://127.0.0.1:{settings.frontend_port}
{apis}
  Side ports (/metrics, /healthz, /readyz): {side_ports(settings)}
  Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}
Press Ctrl-C to stop.
""",
        flush=True,
    )
