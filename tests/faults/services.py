"""A PostgreSQL and a RabbitMQ of the fault suite's own, to restart at will: the machine's
are shared with CI and other work and are never restarted.

PostgreSQL: `initdb` into a temporary directory and `pg_ctl` on a free port (as the postgres
user: PostgreSQL refuses to run as root). RabbitMQ: a node of its own name, ports and data
directory, as `tests/cluster.py` starts them (deploy/region-node.sh, as the rabbitmq user).
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from tests import cluster
from tests.targets import free_port, port_is_free


def _node_port() -> int:
    """An AMQP port whose distribution port (+20000) and CLI port (+30000) are free too."""
    while True:
        port = random.randrange(22000, 30000)
        if all(port_is_free(p) for p in (port, port + 20000, port + 30000)):
            return port


def _as_postgres(*argv: str, timeout: float = 120) -> str:
    done = subprocess.run(
        ["runuser", "-u", "postgres", "--", *argv], capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed: {(done.stderr or done.stdout).strip()[-2000:]}")
    return done.stdout


class OwnPostgres:
    """A throw-away PostgreSQL cluster: trust authentication, loopback only."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="vigil-faults-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.port = free_port()

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> OwnPostgres:
        _as_postgres(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        self.start()
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        _as_postgres(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.dir / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        _as_postgres("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str = "fast") -> None:
        """A fast shutdown (open transactions rolled back, clients cut) and a start."""
        self.stop(mode)
        self.start()

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except RuntimeError:
            pass  # not running
        shutil.rmtree(self.dir, ignore_errors=True)


class OwnRabbit:
    """A RabbitMQ node of its own beside the machine's, with the shovel plugin like any."""

    def __init__(self) -> None:
        self.node = cluster.Node(
            f"vfault{uuid.uuid4().hex[:6]}@localhost",
            tempfile.mkdtemp(prefix="vigil-faults-mq-"),
            _node_port(),
            free_port(),
        )

    def start(self) -> OwnRabbit:
        self.node.start()
        return self

    def restart(self) -> None:
        """Stop the node (clients cut, durable queues and their persistent messages kept on
        disk) and start it again on the same data directory."""
        self.node.ctl("stop")
        self.node.start()

    def vhost(self) -> tuple[str, str]:
        name = f"faults-{uuid.uuid4().hex[:8]}"
        self.node.ctl("add_vhost", name)
        self.node.ctl("set_permissions", "-p", name, "guest", "'.*'", "'.*'", "'.*'")
        return name, f"amqp://guest:guest@127.0.0.1:{self.node.port}/{name}"

    def destroy(self) -> None:
        # SIGKILL first (a throw-away node): `rabbitmqctl stop` needs the CLI's Erlang
        # distribution, which a busy machine can refuse, and the node must not outlive us.
        try:
            self.node.kill()
        except (OSError, ValueError):
            pass  # not started, or gone already
        cluster.Cluster([self.node]).stop()
