"""The SSRF guard: a multi-tenant service must not reach into the operator's own network.

One guard for every component (the executor's checks, the notifier's webhooks and SMTP
relays), so all refuse the same addresses. The check is made on the resolved address at
connection time, so a name that later points at a private address is refused too. Operators
of a home lab (and the tests) allow private targets with VIGIL_ALLOW_PRIVATE_TARGETS.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver


class ForbiddenTarget(OSError):
    """The target resolves only to addresses this deployment may not check."""


# Ranges Python's `is_global` (3.11) still calls global, or that no monitor has any business
# reaching: the deprecated 6to4 relay anycast, the IETF protocol block (all of it, its
# anycast services too), local-use NAT64 (RFC 8215: the operator's own translator maps it
# as it likes, so the embedded address says nothing) and the new documentation prefix.
_NOT_GLOBAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "192.88.99.0/24",
        "192.0.0.0/24",
        "64:ff9b:1::/48",
        "3fff::/20",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d


@functools.lru_cache(maxsize=65536)  # checked on every request: parse each address once
def is_forbidden(address: str) -> bool:
    """True unless `address` is global unicast, judged on the IPv4 address it embeds if any.

    The one guard of every component: the API's creation-time check of IP literals and the
    executor's and notifier's check of every resolved address. Raises ValueError when
    `address` is not an IP address (a zone suffix such as `%eth0` is ignored)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None:
            return _not_global_unicast(inner)
    return _not_global_unicast(ip)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches through a translation or tunnel, if any:
    IPv4-mapped, 6to4, NAT64 (well-known prefix), Teredo (its client) or IPv4-compatible."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):  # :: and ::1 stay IPv6
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _not_global_unicast(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    # `is_global` alone passes multicast, site-local and the ranges above; `is_reserved`
    # covers 240.0.0.0/4 and IPv6's unassigned blocks.
    return (
        not ip.is_global
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local)
        or any(ip in net for net in _NOT_GLOBAL if net.version == ip.version)
    )


def check_literal(host: str, allow_private: bool) -> None:
    """Refuse an IP-literal host (aiohttp does not resolve those, so the resolver can't)."""
    try:
        forbidden = is_forbidden(host.strip("[]"))
    except ValueError:
        return  # a name: the resolver checks it
    if forbidden and not allow_private:
        raise ForbiddenTarget(f"{host} is a private or local address")


class GuardedResolver(AbstractResolver):
    """Resolves like aiohttp's default resolver, then drops forbidden addresses."""

    def __init__(self, allow_private: bool) -> None:
        self._inner = DefaultResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            answers = await self._inner.resolve(host, port, family)
        except UnicodeError:  # not a host name at all (empty or overlong label)
            raise socket.gaierror(socket.EAI_NONAME, f"{host!r} is not a valid host name") from None
        if self._allow_private:
            return answers
        allowed = [a for a in answers if not is_forbidden(a["host"])]
        if not allowed:
            raise ForbiddenTarget(f"{host} resolves only to private or local addresses")
        return allowed

    async def close(self) -> None:
        await self._inner.close()

    def __getattr__(self, name: str) -> Any:  # pragma: no cover - delegate extras
        return getattr(self._inner, name)


async def resolve_checked(host: str, port: int, allow_private: bool) -> str:
    """One address of `host` this deployment may reach, for clients that take no resolver."""
    check_literal(host, allow_private)
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]
    allowed = [a for a in addresses if allow_private or not is_forbidden(a)]
    if not allowed:
        raise ForbiddenTarget(f"{host} resolves only to private or local addresses")
    return allowed[0]
