"""Proof that an account owns a custom domain: a TXT record holding the claim's token.

The owner publishes `vigil-verify=<token>` at `_vigil-challenge.<domain>`; the API looks it
up with the operator's resolver (VIGIL_DOMAIN_DNS_SERVERS, else the system's) and answers
what it found in words a DNS admin recognises. The judging is pure; only `txt_values`
touches the network.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

RECORD_PREFIX = "_vigil-challenge."
VALUE_PREFIX = "vigil-verify="
SHOWN_VALUES = 3  # of a wrong answer, in the error
SHOWN_CHARS = 80  # of each shown value
RETRY_AFTER_S = 60


class ProofError(Exception):
    """Why the domain is not proven: `retry` when asking again later may help (DNS down)."""

    def __init__(self, message: str, retry: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retry = retry


@dataclass(frozen=True)
class Challenge:
    """The record a domain's owner creates."""

    record: str
    value: str


def challenge(domain: str, token: str) -> Challenge:
    return Challenge(f"{RECORD_PREFIX}{domain}", f"{VALUE_PREFIX}{token}")


def judge(record: str, values: Sequence[str], expected: str) -> None:
    """Passes if one TXT value is the expected one (spaces around it ignored)."""
    if any(value.strip() == expected for value in values):
        return
    shown = ", ".join(f"'{_clip(v)}'" for v in values[:SHOWN_VALUES])
    more = f" and {len(values) - SHOWN_VALUES} more" if len(values) > SHOWN_VALUES else ""
    raise ProofError(f"the TXT record at {record} holds {shown}{more}, not '{expected}'")


def _clip(value: str) -> str:
    return value if len(value) <= SHOWN_CHARS else value[:SHOWN_CHARS] + "…"


def _text(strings: Sequence[bytes]) -> str:
    """One TXT record's value: its strings joined (as SPF reads them); bytes that are not
    printable ASCII kept visible as escapes, never decoded into something else."""
    raw = b"".join(strings)
    return "".join(chr(b) if 0x20 <= b < 0x7F else f"\\x{b:02x}" for b in raw)


def _resolver(servers: Sequence[tuple[str, int]], timeout_s: float) -> dns.asyncresolver.Resolver:
    try:
        resolver = dns.asyncresolver.Resolver(configure=not servers)
    except dns.resolver.NoResolverConfiguration:
        raise ProofError(
            "this server has no DNS resolver configured (set VIGIL_DOMAIN_DNS_SERVERS)", retry=True
        ) from None
    if servers:
        resolver.nameservers = [host for host, _ in servers]
        resolver.nameserver_ports = {host: port for host, port in servers}
    resolver.timeout = resolver.lifetime = timeout_s
    resolver.cache = None  # a record just created must be seen at the next try
    return resolver


async def txt_values(
    record: str, servers: Sequence[tuple[str, int]], timeout_s: float
) -> list[str]:
    """The TXT values at this name, or a ProofError naming what the DNS answered."""
    try:
        name = dns.name.from_text(record)  # absolute: no search domains
    except dns.name.NameTooLong:
        raise ProofError(
            f"{record} is longer than DNS allows (255 bytes): a domain this "
            "long cannot be proven; use a shorter one"
        ) from None
    resolver = _resolver(servers, timeout_s)
    try:
        # The resolver's lifetime bounds it; this bounds it even if the resolver misbehaves.
        async with asyncio.timeout(timeout_s + 1):
            answer = await resolver.resolve(name, dns.rdatatype.TXT, search=False)
    except dns.resolver.NXDOMAIN:
        raise ProofError(
            f"{record} does not exist in DNS (NXDOMAIN): create the TXT record there"
        ) from None
    except dns.resolver.NoAnswer:
        raise ProofError(f"{record} has no TXT record") from None
    except (TimeoutError, dns.exception.Timeout):
        raise ProofError(
            f"the DNS lookup of {record} timed out after {timeout_s:g} s; "
            f"try again in {RETRY_AFTER_S} s",
            retry=True,
        ) from None
    except dns.exception.DNSException as exc:  # SERVFAIL, refused, unreachable, malformed
        raise ProofError(
            f"the DNS lookup of {record} failed ({type(exc).__name__}); "
            f"try again in {RETRY_AFTER_S} s",
            retry=True,
        ) from None
    return [_text(rdata.strings) for rdata in answer]
