"""A small authoritative DNS server for the tests (dnspython), on a free loopback UDP port.

It answers from a zone, a dict of (name, type) -> record texts that a test may change while
the server runs. A name with no records of the asked type answers NOERROR and nothing (if the
name is in the zone at all) or NXDOMAIN; names in `silent` are never answered, names in
`broken` answer SERVFAIL.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator
from contextlib import asynccontextmanager, contextmanager

import dns.asyncresolver
import dns.message
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.rrset

Zone = dict[tuple[str, str], list[str]]

ZONE: Zone = {
    ("www.vigil.test.", "A"): ["192.0.2.10", "192.0.2.11"],
    ("vigil.test.", "MX"): ["10 mail.vigil.test."],
    ("vigil.test.", "TXT"): ['"v=spf1 -all"'],
}
SILENT = frozenset({"silent.vigil.test."})
BROKEN = frozenset({"broken.vigil.test."})


class _Server(asyncio.DatagramProtocol):
    def __init__(self, zone: Zone, silent: Collection[str], broken: Collection[str]) -> None:
        self.zone, self.silent, self.broken = zone, silent, broken

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        query = dns.message.from_wire(data)
        question = query.question[0]
        name, rdtype = question.name.to_text().lower(), dns.rdatatype.to_text(question.rdtype)
        if name in self.silent:
            return
        reply = dns.message.make_response(query)
        if name in self.broken:
            reply.set_rcode(dns.rcode.SERVFAIL)
        elif not any(n == name for n, _ in self.zone):
            reply.set_rcode(dns.rcode.NXDOMAIN)
        elif self.zone.get((name, rdtype)):
            reply.answer.append(
                dns.rrset.from_text_list(name, 60, "IN", rdtype, self.zone[(name, rdtype)])
            )
        self.transport.sendto(reply.to_wire(), addr)  # type: ignore[attr-defined]


@asynccontextmanager
async def dns_server(
    zone: Zone | None = None, silent: Collection[str] = SILENT, broken: Collection[str] = BROKEN
) -> AsyncIterator[int]:
    """Serves `zone` (the module's ZONE by default) on 127.0.0.1; yields the port."""
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: _Server(ZONE if zone is None else zone, silent, broken), local_addr=("127.0.0.1", 0)
    )
    try:
        yield transport.get_extra_info("sockname")[1]
    finally:
        transport.close()


@contextmanager
def dns_server_thread(zone: Zone) -> Iterator[int]:
    """The same server on an event loop of its own thread, for tests of subprocesses."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop = asyncio.Event()
    port: list[int] = []

    async def serve() -> None:
        async with dns_server(zone) as p:
            port.append(p)
            started.set()
            await stop.wait()

    thread = threading.Thread(
        target=loop.run_until_complete, args=(serve(),), name="dns-server", daemon=True
    )
    thread.start()
    assert started.wait(10), "the DNS server did not start"
    try:
        yield port[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


Getaddrinfo = Callable[..., Awaitable[list]]


def getaddrinfo_via(port: int, system: Getaddrinfo) -> Getaddrinfo:
    """A `loop.getaddrinfo` that asks the DNS peer on `port` for names (as a resolv.conf
    naming it would) and `system` for address literals, answering in getaddrinfo's shape."""
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers, resolver.port, resolver.lifetime = ["127.0.0.1"], port, 2.0

    async def getaddrinfo(
        host: str,
        port_: int | str | None,
        *,
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
    ) -> list:
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            pass
        else:
            return await system(host, port_, family=family, type=type, proto=proto, flags=flags)
        infos = []
        for rdtype, af in (("A", socket.AF_INET), ("AAAA", socket.AF_INET6)):
            try:
                answer = await resolver.resolve(host, rdtype)
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
                continue
            for record in answer:
                sockaddr = (
                    (record.address, int(port_ or 0))
                    if af == socket.AF_INET
                    else (record.address, int(port_ or 0), 0, 0)
                )
                infos.append((af, type or socket.SOCK_STREAM, proto, "", sockaddr))
        if not infos:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} has no address")
        return infos

    return getaddrinfo
