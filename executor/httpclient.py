"""The executor's HTTP/1.1 client: one new connection per check, timed phase by phase.

An uptime check is one request on a fresh connection, so this is a transport and a protocol
of asyncio (uvloop's in the executor) with llhttp (httptools, as uvicorn uses) parsing the
response: no session, pool, cookie jar or trace signals. That per-request machinery of a
general client cost more CPU than everything else an executor does per check (see
docs/PERFORMANCE.md).

Timings follow curl's convention: each mark is milliseconds from the start of the check to
the end of a phase (`dns_ms`, `connect_ms`, `tls_ms`, `ttfb_ms`: the response head); the
total is the latency. Names are resolved here, through the SSRF guard, and the connection
goes to the guarded address, so nothing resolves the name again behind the guard's back.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import ssl
import time
from dataclasses import dataclass

from yarl import URL

from executor.clock import Clock, cert_days
from executor.deadlines import Deadlines
from executor.httpwire import Exchange, ProtocolError, Response
from shared.netguard import ForbiddenTarget, is_forbidden

USER_AGENT = "Vigil uptime monitor"
DNS_TTL_S = 30.0  # as long as a visitor's resolver would typically keep a name
DNS_CACHE_MAX = 65_536
# What aiohttp sent unless the test sets its own (bodies are decoded: see httpwire).
DEFAULT_HEADERS = {"Accept": "*/*", "Accept-Encoding": "gzip, deflate", "User-Agent": USER_AGENT}
_DEFAULT_LINES = "".join(f"{name}: {value}\r\n" for name, value in DEFAULT_HEADERS.items())
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_NO_LENGTH_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

__all__ = ["Client", "ProtocolError", "Request", "Response"]


@dataclass(frozen=True, slots=True)
class Request:
    """One request of a check; `auth` is (username, password) for basic auth."""

    method: str
    url: URL
    headers: dict[str, str]
    body: str | None
    auth: tuple[str, str] | None
    tls: ssl.SSLContext | None  # None: the default, verifying context


class Client:
    """Fetches one response per call, on a connection of its own; `async with` like a session."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._dns: dict[str, tuple[float, list[str]]] = {}
        self._default_tls: ssl.SSLContext | None = None
        # `with client.within(seconds):` a check's whole time, redirects included.
        self.within = Deadlines().within

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._dns.clear()

    async def fetch(self, request: Request, clock: Clock, limit: int) -> Response:
        """The response to `request`, its body decoded and cut at `limit` bytes."""
        url = request.url
        if url.scheme not in ("http", "https") or not url.raw_host:
            raise ProtocolError(f"not an http(s) URL: {url}")
        https = url.scheme == "https"
        port = url.port or (443 if https else 80)
        addresses = await self._resolve(url.raw_host, port, clock)
        loop = asyncio.get_running_loop()
        exchange = Exchange(loop, clock, limit, request.method == "HEAD")
        transport = await _connect(loop, exchange, addresses, port, clock)
        try:
            if https:
                clock.enter("tls", mark="connect_ms")
                tls = await loop.start_tls(
                    transport,
                    exchange,
                    request.tls or self._verifying(),
                    server_hostname=url.raw_host.rstrip("."),
                )
                if tls is None:  # the loop API allows it (none of ours does); never pass it as TLS
                    raise ProtocolError("the connection closed during the TLS handshake")
                transport = exchange.transport = tls
                days = cert_days(tls.get_extra_info("peercert"))
                if days is not None:  # an unverified peer shows no certificate: no figure
                    clock.marks["cert_days"] = days
                clock.enter("wait", mark="tls_ms")
            else:
                clock.enter("wait", mark="connect_ms")
            transport.write(_head(request) + _body(request))
            return await exchange.done
        finally:
            exchange.settle()
            transport.abort()  # done or failed: a check never reuses its connection

    async def _resolve(self, host: str, port: int, clock: Clock) -> list[str]:
        """Guarded addresses of `host`, IPv4 first. An address literal is returned as it is:
        the caller guards those (shared.netguard.check_literal), as on every redirect hop."""
        literal = host.strip("[]")
        if _is_address(literal):
            return [literal]
        cached = self._dns.get(host)
        if cached is None or cached[0] < time.monotonic():
            cached = (time.monotonic() + DNS_TTL_S, await self._lookup(host, port))
            if len(self._dns) >= DNS_CACHE_MAX:
                self._dns.clear()
            self._dns[host] = cached
        clock.enter("connect", mark="dns_ms")
        return cached[1]

    async def _lookup(self, host: str, port: int) -> list[str]:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM, flags=socket.AI_ADDRCONFIG
            )
        except (socket.gaierror, UnicodeError) as exc:
            raise socket.gaierror(f"cannot resolve {host}: {exc}") from None
        addresses = list(
            dict.fromkeys(
                str(info[4][0]) for info in sorted(infos, key=lambda i: i[0] != socket.AF_INET)
            )
        )
        allowed = [a for a in addresses if self.allow_private or not is_forbidden(a)]
        if not allowed:
            raise ForbiddenTarget(f"{host} resolves only to private or local addresses")
        return allowed

    def _verifying(self) -> ssl.SSLContext:
        if self._default_tls is None:
            self._default_tls = ssl.create_default_context()
        return self._default_tls


def _is_address(host: str) -> bool:
    try:
        is_forbidden(host)  # parses it, and remembers
    except ValueError:
        return False
    return True


async def _connect(
    loop: asyncio.AbstractEventLoop,
    exchange: Exchange,
    addresses: list[str],
    port: int,
    clock: Clock,
) -> asyncio.Transport:
    """TCP to the first address that answers, in order (IPv4 first)."""
    clock.phase = "connect"
    last: OSError | None = None
    for address in addresses:
        try:
            transport, _ = await loop.create_connection(lambda: exchange, address, port)
            return transport  # type: ignore[return-value]
        except OSError as exc:
            last = exc
    assert last is not None
    raise last


def _head(request: Request) -> bytes:
    """The request line and headers, as aiohttp would send them on a closing connection."""
    url, method, headers = request.url, request.method, request.headers
    own = {name.lower() for name in headers}
    head = f"{method} {url.raw_path_qs} HTTP/1.1\r\n"
    if "host" not in own:
        head += f"Host: {url.host_port_subcomponent}\r\n"
    if headers:
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head += "".join(
            f"{name}: {value}\r\n"
            for name, value in DEFAULT_HEADERS.items()
            if name.lower() not in own
        )
    else:
        head += _DEFAULT_LINES
    auth = request.auth
    if auth is None and (url.raw_user or url.raw_password):
        auth = (url.user or "", url.password or "")
    if auth is not None and "authorization" not in own:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode("latin1")).decode()
        head += f"Authorization: Basic {token}\r\n"
    head += _body_headers(request, own)
    if "connection" not in own:
        head += "Connection: close\r\n"
    return (head + "\r\n").encode()


def _body_headers(request: Request, own: set[str]) -> str:
    """Content-Length and Content-Type where aiohttp set them."""
    body, method, lines = request.body, request.method, ""
    if "content-length" not in own:
        if body is not None:
            lines += f"Content-Length: {len(body.encode())}\r\n"
        elif method not in _NO_LENGTH_METHODS:
            lines += "Content-Length: 0\r\n"
    if "content-type" not in own and (body is not None or method in _BODY_METHODS):
        kind = "text/plain; charset=utf-8" if body is not None else "application/octet-stream"
        lines += f"Content-Type: {kind}\r\n"
    return lines


def _body(request: Request) -> bytes:
    return b"" if request.body is None else request.body.encode()
