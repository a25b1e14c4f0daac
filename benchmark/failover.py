"""`vigil bench failover`: how long a cell is without a leading scheduler.

Ours: two real `vigil scheduler` processes; SIGKILL the leader and time until the standby's
/readyz says it leads. Baseline, same run: the one-scheduler way, a supervisor starting a
new process at once, timed from its start to leading (a real restart waits longer still).
Also the stopped-leader case (SIGSTOP: only its silence tells), against the takeover setting.
Runs in a database and vhost of its own.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx

from benchmark.ingest import _drop_database, _scratch_url
from benchmark.peers import free_port, vhost
from benchmark.runner import Line, emit
from shared.config import Settings

ROUNDS = 3
TAKEOVER_S = 5.0


class Schedulers:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.procs: list[tuple[subprocess.Popen[bytes], int]] = []

    def start(self) -> tuple[subprocess.Popen[bytes], int]:
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "ops.cli", "scheduler"],
            env={**self.env, "VIGIL_METRICS_PORT": str(port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.procs.append((proc, port))
        return proc, port

    def stop(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.terminate()
        for proc, _ in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _role(port: int) -> str | None:
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
    except httpx.TransportError:
        return None
    return answer.json().get("role") if answer.status_code == 200 else None


def _until(port: int, role: str, timeout: float = 60) -> float:
    """Seconds until the scheduler on `port` has `role`."""
    start = time.monotonic()
    while _role(port) != role:
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"no {role} scheduler on :{port} within {timeout:.0f} s")
        time.sleep(0.02)
    return time.monotonic() - start


def _round(env: dict[str, str], sig: signal.Signals) -> tuple[float, float]:
    """(cold start to leading, leader signalled to standby leading)."""
    s = Schedulers(env)
    try:
        _, first = s.start()
        cold = _until(first, "leading")
        leader = s.procs[0][0]
        _, second = s.start()
        _until(second, "standby")
        leader.send_signal(sig)
        return cold, _until(second, "leading")
    finally:
        s.stop()


def bench_failover(settings: Settings) -> Iterator[Line]:
    from ops.migrate import upgrade

    name, url = _scratch_url(settings.database_url)
    upgrade(url)
    try:
        with vhost() as host:
            amqp = urlunsplit(urlsplit(settings.amqp_url)._replace(path=f"/{host}"))
            env = {
                **os.environ,
                "VIGIL_DATABASE_URL": url,
                "VIGIL_AMQP_URL": amqp,
                "VIGIL_CELL": "bench",
                "VIGIL_LOG_LEVEL": "WARNING",
                "VIGIL_SCHEDULER_TAKEOVER": str(TAKEOVER_S),
            }
            killed = [_round(env, signal.SIGKILL) for _ in range(ROUNDS)]
            stopped = [_round(env, signal.SIGSTOP) for _ in range(ROUNDS)]
    finally:
        asyncio.run(_drop_database(settings.database_url, name))
    cold = statistics.median(c for c, _ in killed + stopped)
    yield emit(
        "failover",
        "sigkill_leader_to_standby_leading_s",
        statistics.median(t for _, t in killed),
        "cold_start_to_leading_s",
        cold,
    )
    yield emit(
        "failover",
        "sigstop_leader_to_standby_leading_s",
        statistics.median(t for _, t in stopped),
        "takeover_setting_s",
        TAKEOVER_S,
    )
