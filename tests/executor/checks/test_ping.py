"""Ping for real: raw sockets as root here, ping sockets and refusal in a network namespace
of the test's own (where the sysctl and the capabilities can be set without touching the
machine)."""

import json
import shutil
import subprocess
import sys

import pytest

from executor.checks import ping
from shared.messages import Status, TestSpec
from tests.executor.checks.peers import BAD_NAME, context

needs_netns = pytest.mark.skipif(
    not (shutil.which("unshare") and shutil.which("setpriv") and shutil.which("ip")),
    reason="needs unshare, setpriv and ip (util-linux, iproute2)",
)


def _spec(url: str, timeout: float = 2.0, **config: object) -> TestSpec:
    return TestSpec(1, "a", "local", "ping", 60, timeout, {"url": url, **config}, 1)


async def _check(spec: TestSpec, allow_private: bool = True):
    async with context(allow_private) as ctx:
        return await ping.run(spec, ctx)


def _in_netns(setup: str, code: str, drop_raw: bool = False) -> dict:
    """Run `code` (printing JSON) in a new network namespace, after `setup` shell lines."""
    caps = "setpriv --inh-caps=-net_raw --bounding-set=-net_raw " if drop_raw else ""
    script = f"ip link set lo up; {setup}; exec {caps}{sys.executable} -c '{code}'"
    done = subprocess.run(
        ["unshare", "-n", "sh", "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


_PROBE = """
import asyncio, json
from executor.checks import ping, base
async def main():
    try:
        s = await ping.probe("127.0.0.1", 3, 1.0, modes=MODES)
        print(json.dumps({"mode": s.mode, "got": len(s.rtts_ms), "loss": s.loss_pct}))
    except base.Failure as f:
        print(json.dumps({"kind": f.kind, "error": str(f)}))
asyncio.run(main())
"""


async def test_loopback_answers_with_rtt_and_no_loss() -> None:
    outcome = await _check(_spec("icmp://127.0.0.1", count=3))
    assert outcome.status is Status.UP, outcome
    assert outcome.extras["received"] == 3 and outcome.extras["loss_pct"] == 0
    assert 0 < outcome.latency_ms < 1000
    assert outcome.extras["mode"] in ping.MODES


@needs_netns
def test_unprivileged_ping_socket_where_the_group_range_allows() -> None:
    got = _in_netns(
        'sysctl -qw net.ipv4.ping_group_range="0 2147483647"',
        _PROBE.replace("MODES", '("dgram",)'),
        drop_raw=True,
    )
    assert got == {"mode": "dgram", "got": 3, "loss": 0.0}


@needs_netns
def test_raw_socket_fallback_when_ping_sockets_are_off() -> None:
    got = _in_netns(
        'sysctl -qw net.ipv4.ping_group_range="1 0"', _PROBE.replace("MODES", "ping.MODES")
    )
    assert got == {"mode": "raw", "got": 3, "loss": 0.0}


@needs_netns
def test_neither_allowed_is_a_clear_ping_not_permitted() -> None:
    got = _in_netns(
        'sysctl -qw net.ipv4.ping_group_range="1 0"',
        _PROBE.replace("MODES", "ping.MODES"),
        drop_raw=True,
    )
    assert got["kind"] == "ping_not_permitted" and "ping not permitted" in got["error"]


@needs_netns
def test_a_host_that_ignores_echo_is_total_packet_loss() -> None:
    got = _in_netns(
        "sysctl -qw net.ipv4.icmp_echo_ignore_all=1", _PROBE.replace("MODES", "ping.MODES")
    )
    assert (got["got"], got["loss"]) == (0, 100.0)


def test_partial_and_total_loss_verdicts() -> None:
    from executor.clock import Clock

    partial = ping.verdict(ping.Stats(4, [1.0, 3.0], "raw"), Clock())
    assert (partial.status, partial.error_kind, partial.latency_ms) == (
        Status.DEGRADED,
        "packet_loss_partial",
        2.0,
    )
    lost = ping.verdict(ping.Stats(3, [], "raw"), Clock())
    assert (lost.status, lost.error_kind) == (Status.DOWN, "packet_loss")


async def test_guard_dns_and_config() -> None:
    assert (
        await _check(_spec("icmp://127.0.0.1"), allow_private=False)
    ).error_kind == "forbidden_target"
    assert (await _check(_spec(f"icmp://{BAD_NAME}"))).error_kind == "dns"
    assert (await _check(_spec("icmp://127.0.0.1", count=99))).error_kind == "config"
