"""A small authoritative DNS server for the tests (dnspython), on a free UDP port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

ZONE = {
    ("www.vigil.test.", "A"): ["192.0.2.10", "192.0.2.11"],
    ("vigil.test.", "MX"): ["10 mail.vigil.test."],
    ("vigil.test.", "TXT"): ['"v=spf1 -all"'],
    ("silent.vigil.test.", "A"): [],  # the server never answers this one
    ("broken.vigil.test.", "A"): [],  # SERVFAIL
}

class _Server(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        query = dns.message.from_wire(data)
        question = query.question[0]
        name, rdtype = question.name.to_text().lower(), dns.rdatatype.to_text(question.rdtype)
        if name == "silent.vigil.test.":
            return
        reply = dns.message.make_response(query)
        if name == "broken.vigil.test.":
            reply.set_rcode(dns.rcode.SERVFAIL)
        elif not any(n == name for n, _ in ZONE):
            reply.set_rcode(dns.rcode.NXDOMAIN)
        elif ZONE.get((name, rdtype)):
            reply.answer.append(dns.rrset.from_text_list(name, 60, "IN", rdtype,
                                                         ZONE[(name, rdtype)]))
        self.transport.sendto(reply.to_wire(), addr)  # type: ignore[attr-defined]

import dns.rdatatype  # noqa: E402  (after the class, to keep the zone at the top)


@asynccontextmanager
async def dns_server() -> AsyncIterator[int]:
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        _Server, local_addr=("127.0.0.1", 0))
    try:
        yield transport.get_extra_info("sockname")[1]
    finally:
        transport.close()
