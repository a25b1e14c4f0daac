"""A throw-away region broker beside the machine's own, in a network namespace of its own:
what the region tests and `vigil bench wire` run against. A thin wrapper of
deploy/region-node.sh (which says how); needs root and a source checkout."""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "region-node.sh"


@dataclass(frozen=True)
class RegionNode:
    dir: str
    node: str
    netns: str
    host_ip: str  # this side of the veth pair: where the region reaches the centre
    region_ip: str  # the region's side
    port: int
    mgmt_port: int

    @property
    def amqp_url(self) -> str:
        """The region broker as its own executors see it (from inside the namespace)."""
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @property
    def management_url(self) -> str:
        return f"http://guest:guest@{self.region_ip}:{self.mgmt_port}"

    def inside(self, argv: list[str]) -> list[str]:
        """A command line that runs `argv` in the region's namespace."""
        return ["ip", "netns", "exec", self.netns, *argv]

    def link(self, up: bool) -> None:
        _script("link", self.dir, "up" if up else "down")

    def queue_depths(self) -> dict[str, tuple[int, int]]:
        """Each queue's (messages, bytes), asked over Erlang distribution inside the
        namespace, so it answers while the link is down."""
        out = _script("ctl", self.dir, "list_queues", "name", "messages", "message_bytes")
        depths = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1].isdigit():
                depths[parts[0]] = (int(parts[1]), int(parts[2]))
        return depths

    def stop(self) -> None:
        _script("stop", self.dir)


def available() -> str | None:
    """Why a region node cannot be started here, or None if it can."""
    if os.geteuid() != 0:
        return "a region node needs root (network namespace, the rabbitmq user)"
    if not SCRIPT.exists():
        return f"{SCRIPT} is missing (not a source checkout)"
    return None


def start() -> RegionNode:
    name = f"vg{uuid.uuid4().hex[:8]}"
    where = tempfile.mkdtemp(prefix="vigil-region-")
    _script("start", where, "--netns", name, "--name", f"{name}@localhost")
    env = dict(
        line.split("=", 1)
        for line in Path(where, "node.env").read_text().splitlines()
        if "=" in line
    )
    return RegionNode(
        dir=where,
        node=env["NODE"],
        netns=env["NETNS"],
        host_ip=env["HOST_IP"],
        region_ip=env["REGION_IP"],
        port=int(env["PORT"]),
        mgmt_port=int(env["MGMT_PORT"]),
    )


def _script(*args: str) -> str:
    done = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(f"region-node.sh {args[0]} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout
