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


@functools.lru_cache(maxsize=65536)  # checked on every request: parse each address once
def is_forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified)


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

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        try:
            answers = await self._inner.resolve(host, port, family)
        except UnicodeError:  # not a host name at all (empty or overlong label)
            raise socket.gaierror(socket.EAI_NONAME, f"{host!r} is not a valid host name") \
                from None
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
