"""The SSRF guard's table: addresses a deployment must refuse and addresses it must reach.

One table for every path that guards a target: the shared function itself, the API at
creation time (IP literals) and the executor at check time (names the DNS peer resolves).
"""

from __future__ import annotations

# address -> why it is not global unicast
FORBIDDEN: dict[str, str] = {
    "0.0.0.0": "unspecified",
    "0.1.2.3": "this network",
    "10.1.2.3": "private",
    "100.64.0.1": "carrier-grade NAT",
    "100.100.100.200": "carrier-grade NAT: a cloud's metadata service",
    "127.0.0.1": "loopback",
    "169.254.169.254": "link-local: the usual metadata service",
    "172.16.0.1": "private",
    "192.0.0.9": "IETF protocol assignments",
    "192.0.2.1": "documentation (TEST-NET-1)",
    "192.88.99.1": "deprecated 6to4 relay anycast",
    "192.168.1.1": "private",
    "198.18.0.1": "benchmarking",
    "198.51.100.1": "documentation (TEST-NET-2)",
    "203.0.113.1": "documentation (TEST-NET-3)",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast (SSDP)",
    "240.0.0.1": "reserved",
    "255.255.255.255": "broadcast",
    "::": "unspecified",
    "::1": "loopback",
    "::7f00:1": "IPv4-compatible 127.0.0.1",
    "::ffff:127.0.0.1": "IPv4-mapped loopback",
    "::ffff:100.100.100.200": "IPv4-mapped carrier-grade NAT",
    "2002:7f00:1::1": "6to4 of 127.0.0.1",
    "2002:a9fe:a9fe::1": "6to4 of 169.254.169.254",
    "64:ff9b::7f00:1": "NAT64 of 127.0.0.1",
    "64:ff9b::a00:1": "NAT64 of 10.0.0.1",
    "64:ff9b:1::808:808": "local-use NAT64: the operator's own translator",
    "2001:0:4136:e378:8000:63bf:80ff:fffe": "Teredo whose client is 127.0.0.1",
    "2001:db8::1": "documentation",
    "3fff::1": "documentation (RFC 9637)",
    "100::1": "discard-only",
    "fc00::1": "unique local",
    "fd12:3456::1": "unique local",
    "fe80::1": "link-local",
    "fec0::1": "site-local (deprecated)",
    "ff02::1": "multicast",
    "ff0e::1": "global-scope multicast",
}

ALLOWED: list[str] = [
    "1.1.1.1",
    "8.8.8.8",
    "93.184.216.34",
    "2606:4700::1111",
    "2001:4860:4860::8888",
    "::ffff:8.8.8.8",  # IPv4-mapped public address: as public as 8.8.8.8
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
]


def url_of(address: str, scheme: str = "http", port: int | None = None) -> str:
    """A URL naming `address` as its host literal (IPv6 in brackets)."""
    host = f"[{address}]" if ":" in address else address
    return f"{scheme}://{host}{'' if port is None else f':{port}'}/"


def dns_name(address: str) -> str:
    """A name in the DNS peer's zone that resolves to `address` alone."""
    return "h-" + address.replace(":", "-").replace(".", "-") + ".guard.test"


def zone(addresses: list[str]) -> dict[tuple[str, str], list[str]]:
    """A dnspeer zone resolving each `dns_name(address)` to its address (A or AAAA)."""
    return {(dns_name(a) + ".", "AAAA" if ":" in a else "A"): [a] for a in addresses}
