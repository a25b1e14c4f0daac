"""HTTP(S) check: expected status codes, a timeout, latency measured.

Redirects are followed here rather than by aiohttp, so the SSRF guard sees every hop.
"""

from __future__ import annotations

import asyncio
import ssl
import time

import aiohttp
from yarl import URL

from executor.checks.base import CheckContext, Outcome
from executor.guard import ForbiddenTarget, check_literal
from shared.messages import Status, TestSpec

MAX_REDIRECTS = 10
_REDIRECTS = {301, 302, 303, 307, 308}


async def run(spec: TestSpec, ctx: CheckContext) -> Outcome:
    cfg = spec.config
    url = URL(cfg["url"])
    method = cfg.get("method", "GET")
    expected = set(cfg.get("expected_status") or [200])
    timeout = aiohttp.ClientTimeout(total=spec.timeout_s)
    started = time.perf_counter()
    try:
        async with asyncio.timeout(spec.timeout_s):
            follow = bool(cfg.get("follow_redirects", True))
            status = await _fetch(ctx, method, url, timeout, follow)
    except Exception as exc:  # every failure becomes a classified outcome
        return _classify(exc, _ms(started))
    latency = _ms(started)
    if status not in expected:
        return Outcome.failed("http_status", f"HTTP {status}, expected {sorted(expected)}",
                              latency, status)
    return Outcome(Status.UP, latency, status)


async def _fetch(ctx: CheckContext, method: str, url: URL, timeout: aiohttp.ClientTimeout,
                 follow: bool) -> int:
    for _ in range(MAX_REDIRECTS + 1):
        check_literal(url.host or "", ctx.allow_private_targets)
        async with ctx.http.request(method, url, timeout=timeout, allow_redirects=False) as resp:
            # Read (and drop) the body up to the limit: part of what a visitor waits for.
            await resp.content.read(ctx.max_body_bytes)
            location = resp.headers.get("Location")
            if not (follow and resp.status in _REDIRECTS and location):
                return resp.status
            url = resp.url.join(URL(location))
            if resp.status == 303:
                method = "GET"
    raise TooManyRedirects(f"more than {MAX_REDIRECTS} redirects")


class TooManyRedirects(Exception):
    """The target redirected more often than any real site needs."""


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _classify(exc: BaseException, latency: float) -> Outcome:
    """Tell the user *why*: each failure gets a kind from a small, stable taxonomy."""
    if isinstance(exc, ForbiddenTarget):
        return Outcome.failed("forbidden_target", str(exc))
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError
                  | ssl.SSLError):
        return Outcome.failed("tls", str(exc), latency)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return _connect_failure(exc, latency)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return Outcome.failed("connect_timeout", "timed out connecting", latency)
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return Outcome.failed("timeout", f"no answer within {latency / 1000:.1f} s", latency)
    if isinstance(exc, TooManyRedirects):
        return Outcome.failed("redirects", str(exc), latency)
    if isinstance(exc, aiohttp.ClientError | ValueError):
        return Outcome.failed("protocol", f"{type(exc).__name__}: {exc}", latency)
    return Outcome.failed("internal", f"{type(exc).__name__}: {exc}", latency)


def _connect_failure(exc: aiohttp.ClientConnectorError, latency: float) -> Outcome:
    if isinstance(exc.os_error, ForbiddenTarget):
        return Outcome.failed("forbidden_target", str(exc.os_error))
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return Outcome.failed("dns", f"cannot resolve {exc.host}: {exc.os_error}")
    if isinstance(exc.os_error, ConnectionRefusedError):
        return Outcome.failed("refused", f"connection refused by {exc.host}:{exc.port}", latency)
    return Outcome.failed("connect", str(exc), latency)
