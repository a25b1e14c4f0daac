"""/healthz, /readyz and `vigil health` of each long-lived component, as real processes whose
broker and database sit behind forwarders this test owns: cut one, /readyz answers 503
naming it; give it back, 200 again. Liveness stays 200 throughout."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from shared import health
from shared.config import ConfigError, Settings
from tests.helpers import short_name, wait_sync
from tests.proxy import Cuttable
from tests.targets import free_port

# What each component watches (docs/OPERATING.md).
WATCHES = {
    "executor": ("broker",),
    "processor": ("database", "broker"),
    "notifier": ("database", "broker"),
    "scheduler": ("database", "broker"),
}


def _via(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


@pytest.fixture
def forwarders() -> Iterator[dict[str, Cuttable]]:
    f = {"database": Cuttable(5432).start(), "broker": Cuttable(5672).start()}
    yield f
    for proxy in f.values():
        proxy.stop()


def _get(port: int, path: str) -> tuple[int, dict] | None:
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=3)
    except httpx.TransportError:
        return None
    body = answer.json() if path != "/metrics" else {"text": answer.text}
    return answer.status_code, body


def _ready_is(
    port: int, status: int, proc: subprocess.Popen[bytes], log: Path
) -> tuple[int, dict] | None:
    assert proc.poll() is None, f"exited with {proc.returncode}: {log.read_text()[-3000:]}"
    got = _get(port, "/readyz")
    return got if got and got[0] == status else None


@pytest.mark.integration
@pytest.mark.parametrize("component", sorted(WATCHES))
def test_readyz_is_503_while_a_dependency_is_cut_and_200_after(
    component: str,
    database_url: str,
    amqp_url: str,
    forwarders: dict[str, Cuttable],
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "VIGIL_DATABASE_URL": _via(database_url, forwarders["database"].port),
        "VIGIL_AMQP_URL": _via(amqp_url, forwarders["broker"].port),
        "VIGIL_CELL": short_name("h"),
        "VIGIL_REGION": short_name("r"),
        "VIGIL_METRICS_PORT": str(port),
        "VIGIL_LOG_FORMAT": "text",
        "VIGIL_STATE_DIR": str(tmp_path / "state"),
        "VIGIL_SCHEDULER_TAKEOVER": "2",
    }
    argv = [sys.executable, "-m", "ops.cli", component]
    log = tmp_path / "component.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _, body = wait_sync(lambda: _ready_is(port, 200, proc, log), f"{component} to be ready")
        assert set(body["checks"]) == set(WATCHES[component])
        if component == "scheduler":
            assert body["role"] == "leading"
        assert _vigil_health(component, env) == 0
        metrics = _get(port, "/metrics")
        assert metrics and metrics[0] == 200 and "python_info" in metrics[1]["text"]
        for dependency in WATCHES[component]:
            forwarders[dependency].cut()
            _, body = wait_sync(
                lambda: _ready_is(port, 503, proc, log),
                f"{component}'s /readyz to fail with its {dependency} cut",
            )
            assert body["checks"][dependency] is False and body["ready"] is False
            assert _get(port, "/healthz") == (200, {"alive": True})
            assert _vigil_health(component, env) == 1
            forwarders[dependency].restore()
            wait_sync(
                lambda: _ready_is(port, 200, proc, log),
                f"{component} to be ready again with its {dependency} back",
                timeout=90,
            )
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, log.read_text()[-3000:]


def _vigil_health(component: str, env: dict[str, str]) -> int:
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", "health", component],
        env=env,
        capture_output=True,
        timeout=30,
    ).returncode


@pytest.mark.integration
def test_vigil_health_fails_when_nothing_answers() -> None:
    env = {**os.environ, "VIGIL_METRICS_PORT": str(free_port())}
    proc = subprocess.run(
        [sys.executable, "-m", "ops.cli", "health", "processor"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 1 and "readyz" in proc.stderr


@pytest.mark.unit
def test_vigil_health_refuses_an_unknown_component() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ops.cli", "health", "api"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


@pytest.mark.unit
def test_each_component_has_its_own_default_port() -> None:
    ports = health.DEFAULT_PORTS
    assert set(ports) == set(WATCHES) and len(set(ports.values())) == len(ports)
    assert Settings.from_env({}).metrics_port is None  # unset: the component's default
    assert Settings.from_env({"VIGIL_METRICS_PORT": "0"}).metrics_port == 0


@pytest.mark.unit
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VIGIL_METRICS_PORT", "nine"),
        ("VIGIL_METRICS_PORT", "70000"),
        ("VIGIL_METRICS_PORT", "-1"),
        ("VIGIL_SCHEDULER_TAKEOVER", "0"),
        ("VIGIL_SCHEDULER_TAKEOVER", "soon"),
        ("VIGIL_SCHEDULER_WATCHDOG", "0.5"),
        ("VIGIL_SCHEDULER_WATCHDOG", ""),
    ],
)
def test_a_bad_setting_is_refused_naming_it(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


@pytest.mark.unit
def test_readiness_needs_every_check_and_a_turning_loop() -> None:
    h = health.Health()
    assert h.ready()[0] is False  # nothing probed yet: starting
    h.checks = {"database": True, "broker": True}
    h.role = "standby"
    assert h.ready() == (True, {"ready": True, "checks": h.checks, "role": "standby"})
    h.checks = {"database": True, "broker": False}
    assert h.ready()[0] is False
    h.checks = {"database": True, "broker": True}
    h.stamped -= health.STALE_AFTER_S + 1  # the probe loop stopped: the event loop hangs
    assert not h.alive() and h.ready()[0] is False
