"""The executor's one HTTP session: guarded resolver, a new connection per check, timings.

Timings follow curl's convention: each mark is milliseconds from the start of the check to
the end of a phase (`dns_ms`, `connect_ms`, `tls_ms`, `ttfb_ms`); the total is the latency.
aiohttp's TraceConfig reports DNS, connection and first-byte events; it sees TCP and TLS as
one step, so the connector makes the TLS handshake a step of its own (as aiohttp itself does
for proxies) and marks the moment TCP was up.
"""

from __future__ import annotations

import contextvars
from types import SimpleNamespace
from typing import Any

import aiohttp

from executor.checks.net import Clock, cert_days
from shared.netguard import GuardedResolver

# The clock of the check running in this task; the connector marks TCP-up on it.
CLOCK: contextvars.ContextVar[Clock | None] = contextvars.ContextVar("clock", default=None)


class TimedConnector(aiohttp.TCPConnector):
    """Connects TCP first, marks it, then starts TLS, so connect and TLS time are apart."""

    async def _wrap_create_connection(self, *args: Any, **kwargs: Any) -> Any:
        clock = CLOCK.get()
        if clock is None or not kwargs.get("ssl"):
            return await super()._wrap_create_connection(*args, **kwargs)
        kwargs.update(ssl=None, server_hostname=None)
        transport, _ = await super()._wrap_create_connection(*args, **kwargs)
        clock.enter("tls", mark="connect_ms")
        tls_transport, protocol = await self._start_tls_connection(
            transport, kwargs["req"], kwargs["timeout"],
            kwargs.get("client_error", aiohttp.ClientConnectorError))
        # Here, not from the response: a short body may release the connection before
        # the check could look at it.
        clock.marks["cert_days"] = cert_days(tls_transport.get_extra_info("peercert"))
        return tls_transport, protocol


def _on(phase: str, mark: str | None) -> Any:
    async def hook(session: Any, trace: SimpleNamespace, params: Any) -> None:
        clock = trace.trace_request_ctx
        if isinstance(clock, Clock):
            if mark is None:
                clock.phase = phase
            elif mark == "end_of_connect":  # TLS done, or TCP done on plain HTTP
                clock.enter(phase, mark="tls_ms" if clock.phase == "tls" else "connect_ms")
            else:
                clock.enter(phase, mark=mark)

    return hook


def trace_config() -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig()
    trace.on_connection_create_start.append(_on("dns", None))
    trace.on_dns_resolvehost_end.append(_on("connect", "dns_ms"))
    trace.on_connection_create_end.append(_on("wait", "end_of_connect"))
    trace.on_request_end.append(_on("body", "ttfb_ms"))
    return trace


def session(allow_private: bool) -> aiohttp.ClientSession:
    # A new connection per check: an uptime check measures what a new visitor sees.
    connector = TimedConnector(resolver=GuardedResolver(allow_private), force_close=True,
                               limit=0, ttl_dns_cache=30)
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                 trace_configs=[trace_config()],
                                 headers={"User-Agent": "Vigil uptime monitor"})
