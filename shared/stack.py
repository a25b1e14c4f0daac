"""`vigil stack`: every component of a local setup as child processes, for `make run`.

It migrates, starts the demo targets and the components, seeds the demo account through
the API, prints where to go, and on Ctrl-C stops every child cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from shared import runtime
from shared.config import Settings
from shared.demo import DEMO_MONITORS
from shared.migrate import upgrade

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "vigil-demo"
DEMO_INTERVAL_S = 10
STOP_GRACE_S = 10


def _children(settings: Settings) -> list[tuple[str, list[str], dict[str, str]]]:
    vigil = [sys.executable, "-m", "shared.cli"]
    return [
        ("demo-targets", [sys.executable, "-m", "shared.demo"], {}),
        ("processor", [*vigil, "processor"], {"VIGIL_METRICS_PORT": "9101"}),
        ("scheduler", [*vigil, "scheduler"], {"VIGIL_METRICS_PORT": "9102"}),
        ("notifier", [*vigil, "notifier"], {"VIGIL_METRICS_PORT": "9103"}),
        ("executor", [*vigil, "executor", "--region", settings.region],
         {"VIGIL_METRICS_PORT": "9100"}),
        ("api", [*vigil, "api"], {}),
        ("frontend", [*vigil, "frontend"], {}),
    ]


def _stack_env() -> dict[str, str]:
    env = dict(os.environ)
    # The demo targets live on loopback, and the demo wants results within a minute.
    env.setdefault("VIGIL_ALLOW_PRIVATE_TARGETS", "true")
    env.setdefault("VIGIL_NOTIFY_ALLOW_PRIVATE", "true")
    env.setdefault("VIGIL_MIN_INTERVAL", str(DEMO_INTERVAL_S))
    env.setdefault("VIGIL_LOG_FORMAT", "text")
    return env


def run_stack(settings: Settings) -> int:
    upgrade(settings.database_url)
    env = _stack_env()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    runtime.stop_on_sigterm()
    try:
        for name, argv, extra in _children(settings):
            procs[name] = subprocess.Popen(argv, env={**env, **extra})
        seed_demo(settings.api_url)
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
                print(f"vigil stack: {name} exited with {proc.returncode}; stopping",
                      file=sys.stderr)
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
    """Create the demo account and its monitors through the API, unless they exist."""
    with httpx.Client(base_url=f"{api_url}/api/v1", timeout=10) as api:
        _wait_healthy(api, timeout_s)
        api.post("/auth/signup", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        login = api.post("/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
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


def _announce(settings: Settings) -> None:
    print(f"""
Vigil is running.
  Frontend:   http://127.0.0.1:{settings.frontend_port}
  API:        {settings.api_url}/api/v1  (docs: {settings.api_url}/api/v1/docs)
  Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}
Press Ctrl-C to stop.
""", flush=True)
