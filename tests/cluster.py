"""A throw-away three-node RabbitMQ cluster beside the machine's own node (never touched):
three rabbitmq-server nodes with their own names, ports and data directories, started as the
rabbitmq user by deploy/region-node.sh and joined with `rabbitmqctl join_cluster`."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.targets import port_is_free

SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "region-node.sh"
START_TIMEOUT_S = 300.0  # the whole cluster: three boots and two joins, on a busy 2-core machine
STEP_TIMEOUT_S = 180.0


@dataclass
class Node:
    name: str
    dir: str
    port: int
    mgmt_port: int

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def ctl(self, *args: str, timeout: float = STEP_TIMEOUT_S) -> str:
        return _script("ctl", self.dir, *args, timeout=timeout)

    def kill(self) -> None:
        """SIGKILL the node's Erlang VM: no goodbye to its peers or clients."""
        pid = int(Path(self.dir, "node.pid").read_text().strip())
        os.kill(pid, signal.SIGKILL)

    def start(self, timeout: float = STEP_TIMEOUT_S) -> None:
        _script(
            "start",
            self.dir,
            "--name",
            self.name,
            "--port",
            str(self.port),
            "--mgmt-port",
            str(self.mgmt_port),
            timeout=timeout,
        )

    def log_tail(self, chars: int = 1500) -> str:
        logs = sorted(Path(self.dir, "log").glob("*.log"), key=lambda p: p.stat().st_mtime)
        return logs[-1].read_text(errors="replace")[-chars:] if logs else "(no log)"


@dataclass
class Cluster:
    nodes: list[Node]

    @property
    def amqp_url(self) -> str:
        """Every node, comma-separated, as VIGIL_AMQP_URL takes them."""
        return ",".join(n.amqp_url for n in self.nodes)

    @property
    def management_url(self) -> str:
        return f"http://guest:guest@127.0.0.1:{self.nodes[0].mgmt_port}"

    def node_at(self, port: int) -> Node:
        return next(n for n in self.nodes if n.port == port)

    def stop(self) -> None:
        for node in self.nodes:
            try:
                _script("stop", node.dir)
            except RuntimeError:
                pass  # killed and not restarted: its directory goes below
            subprocess.run(["rm", "-rf", node.dir], check=False)


def available() -> str | None:
    if os.geteuid() != 0:
        return "a cluster node runs as the rabbitmq user: needs root"
    return None


def start(size: int = 3, timeout: float = START_TIMEOUT_S) -> Cluster:
    """Start and join `size` nodes, on fresh ports each try (a port taken by another process
    makes a node die at boot), within `timeout` seconds in all, or raise RuntimeError."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return _start(size, deadline - time.monotonic())
        except RuntimeError as exc:
            if "exited while starting" not in str(exc) or deadline - time.monotonic() < 60:
                raise


def _ports(size: int) -> int:
    """A base port: AMQP base+2i, management +1, distribution +20000, its CLI +30000, all free."""
    while True:
        base = random.randrange(22000, 30000, 10)
        wanted = [base + 2 * i + d for i in range(size) for d in (0, 1, 20000, 30000)]
        if all(port_is_free(p) for p in wanted):
            return base


def _start(size: int, timeout: float) -> Cluster:
    """Start and join `size` nodes within `timeout` seconds, or raise a RuntimeError naming
    the step that did not finish (and the node's log), with every node stopped again."""
    deadline = time.monotonic() + timeout

    def left(step: str) -> float:
        remaining = min(STEP_TIMEOUT_S, deadline - time.monotonic())
        if remaining <= 0:
            raise RuntimeError(f"cluster start took over {timeout:.0f} s, before {step}")
        return remaining

    tag = uuid.uuid4().hex[:6]
    base = _ports(size)
    nodes = [
        Node(
            f"vq{tag}{i}@localhost",
            tempfile.mkdtemp(prefix="vigil-cluster-"),
            base + 2 * i,
            base + 2 * i + 1,
        )
        for i in range(size)
    ]
    cluster = Cluster(nodes)
    try:
        for node in nodes:
            step = f"starting {node.name}"
            node.start(timeout=left(step))
        for node in nodes[1:]:
            for args in (
                ("stop_app",),
                ("join_cluster", nodes[0].name),
                ("start_app",),
                ("await_startup",),
            ):
                step = f"{' '.join(args)} on {node.name}"
                node.ctl(*args, timeout=left(step))
    except subprocess.TimeoutExpired as exc:
        tails = "\n".join(f"--- {n.name}:\n{n.log_tail()}" for n in nodes)
        cluster.stop()
        raise RuntimeError(
            f"cluster start: {step} did not finish in {exc.timeout:.0f} s "
            f"(whole start limited to {timeout:.0f} s)\n{tails}"
        ) from None
    except BaseException:  # a test timeout too: never leave nodes behind
        cluster.stop()
        raise
    return cluster


def _script(*args: str, timeout: float = STEP_TIMEOUT_S) -> str:
    """Run region-node.sh; subprocess.TimeoutExpired when it takes over `timeout` seconds.
    Its output goes to files, not pipes: a node it starts detached must not hold a pipe
    open (that would keep us waiting for its end, not the script's)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [str(SCRIPT), *args], stdout=out, stderr=err, text=True, start_new_session=True
        )
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the script and what it started, not a node
            proc.wait()  # already detached into its own session
            raise
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(proc.args, proc.returncode, out.read(), err.read())
    if done.returncode != 0:
        raise RuntimeError(f"region-node.sh {args[0]} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout
