"""The check-time guard on resolved names: the DNS peer answers each table address for a
name, and every check path (net.resolve for TCP-based kinds, the HTTP client) refuses it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from executor.checks import http, net, tcp
from shared.messages import Status, TestSpec
from shared.netguard import ForbiddenTarget
from tests.dnspeer import dns_server, getaddrinfo_via
from tests.executor.checks.peers import context, tcp_listener
from tests.guard_table import ALLOWED, FORBIDDEN, dns_name, url_of, zone

pytestmark = pytest.mark.integration


@pytest.fixture
async def peer_dns(monkeypatch) -> AsyncIterator[None]:
    """Names resolve through the DNS peer for this test, as if resolv.conf named it."""
    loop = asyncio.get_running_loop()
    async with dns_server(zone([*FORBIDDEN, *ALLOWED, "127.0.0.1"])) as port:
        monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo_via(port, loop.getaddrinfo))
        yield


def _spec(kind: str, url: str) -> TestSpec:
    return TestSpec(1, "a", "local", kind, 60, 1.0, {"url": url}, 1)


async def _run(kind: str, url: str, allow_private: bool = False):
    module = {"tcp": tcp, "http": http}[kind]
    async with context(allow_private) as ctx:
        return await module.run(_spec(kind, url), ctx)


@pytest.mark.parametrize("address", list(FORBIDDEN))
async def test_names_resolving_to_forbidden_addresses_are_refused(
    peer_dns: None, address: str
) -> None:
    name = dns_name(address)
    async with context(False) as ctx:
        with pytest.raises(ForbiddenTarget):
            await net.resolve(name, ctx, 80)
    for kind, url in (("tcp", f"tcp://{name}:80"), ("http", f"http://{name}/")):
        outcome = await _run(kind, url)
        assert (outcome.status, outcome.error_kind) == (Status.DOWN, "forbidden_target"), (
            kind,
            FORBIDDEN[address],
            outcome.error,
        )


@pytest.mark.parametrize("address", list(FORBIDDEN))
async def test_forbidden_literals_are_refused_at_check_time(address: str) -> None:
    for kind, url in (("tcp", url_of(address, "tcp", 80)), ("http", url_of(address))):
        outcome = await _run(kind, url)
        assert outcome.error_kind == "forbidden_target", (kind, FORBIDDEN[address], outcome)


@pytest.mark.parametrize("address", ALLOWED)
async def test_names_resolving_to_global_addresses_pass_the_guard(
    peer_dns: None, address: str
) -> None:
    # Resolution only: the guard's answer, without sending a packet off this machine.
    async with context(False) as ctx:
        assert await net.resolve(dns_name(address), ctx, 80) == [address]
        assert await ctx.http._lookup(dns_name(address), 80) == [address]


async def test_a_name_resolving_to_loopback_is_checked_when_private_targets_are_allowed(
    peer_dns: None,
) -> None:
    async with tcp_listener() as port:
        outcome = await _run("tcp", f"tcp://{dns_name('127.0.0.1')}:{port}", allow_private=True)
        refused = await _run("tcp", f"tcp://{dns_name('127.0.0.1')}:{port}")
    assert outcome.status is Status.UP, outcome
    assert refused.error_kind == "forbidden_target"
