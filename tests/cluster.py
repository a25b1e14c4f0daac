"""A throw-away three-node RabbitMQ cluster beside the machine's own node (never touched):
three rabbitmq-server nodes with their own names, ports and data directories, started as the
rabbitmq user by deploy/region-node.sh and joined with `rabbitmqctl join_cluster`."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "region-node.sh"


@dataclass
class Node:
    name: str
    dir: str
    port: int
    mgmt_port: int

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def ctl(self, *args: str) -> str:
        return _script("ctl", self.dir, *args)

    def kill(self) -> None:
        """SIGKILL the node's Erlang VM: no goodbye to its peers or clients."""
        pid = int(Path(self.dir, "node.pid").read_text().strip())
        os.kill(pid, signal.SIGKILL)

    def start(self) -> None:
        _script(
            "start",
            self.dir,
            "--name",
            self.name,
            "--port",
            str(self.port),
            "--mgmt-port",
            str(self.mgmt_port),
        )


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


def start(size: int = 3) -> Cluster:
    tag = uuid.uuid4().hex[:6]
    base = random.randrange(22000, 30000, 10)  # AMQP; dist +20000 (its CLI +30000), management +1
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
            node.start()
        for node in nodes[1:]:
            node.ctl("stop_app")
            node.ctl("join_cluster", nodes[0].name)
            node.ctl("start_app")
    except BaseException:  # a test timeout too: never leave nodes behind
        cluster.stop()
        raise
    return cluster


def _script(*args: str) -> str:
    done = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(f"region-node.sh {args[0]} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout
