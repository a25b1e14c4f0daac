"""HTTP(S) check: status codes, content assertions, latency threshold, timings, cert days.

Redirects are followed here rather than by aiohttp, so the SSRF guard sees every hop. The
body is read up to the body limit; content assertions (keyword, regex, JSON path) look at
what was read.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import ssl
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
from yarl import URL

from executor.checks import net
from executor.checks.base import CheckContext, Failure, Outcome
from executor.httpclient import CLOCK
from shared import checkspec
from shared.messages import Status, TestSpec
from shared.netguard import ForbiddenTarget, check_literal

MAX_REDIRECTS = 10
_REDIRECTS = {301, 302, 303, 307, 308}


@dataclass
class Answer:
    """The final response of a check, as far as the assertions need it."""

    status: int
    body: bytes
    charset: str | None
    cert_days: float | None
    redirects: int


async def run(spec: TestSpec, ctx: CheckContext) -> Outcome:
    clock = net.Clock()
    try:
        cfg = checkspec.validate("http", spec.config)
    except ValueError as exc:
        return Outcome.failed("config", str(exc))
    token = CLOCK.set(clock)
    try:
        async with asyncio.timeout(spec.timeout_s):
            answer = await _fetch(ctx, cfg, clock, spec.timeout_s)
    except Exception as exc:  # every failure becomes a classified outcome
        return _classify(exc, clock)
    finally:
        CLOCK.reset(token)
    return _judge(cfg, answer, clock)


async def _fetch(ctx: CheckContext, cfg: dict[str, Any], clock: net.Clock,
                 timeout_s: float) -> Answer:
    url, method = URL(cfg["url"]), cfg["method"]
    body: str | None = cfg["body"]
    auth = cfg["basic_auth"] and aiohttp.BasicAuth(cfg["basic_auth"]["username"],
                                                   cfg["basic_auth"]["password"])
    options = {"headers": cfg["headers"], "ssl": _ssl(cfg), "allow_redirects": False,
               "timeout": _timeout(timeout_s), "trace_request_ctx": clock}
    for hop in range(MAX_REDIRECTS + 1):
        check_literal(url.host or "", ctx.allow_private_targets)
        async with ctx.http.request(method, url, data=body, auth=auth, **options) as resp:
            content = await _read(resp, ctx.max_body_bytes)
            location = resp.headers.get("Location")
            if not (cfg["follow_redirects"] and resp.status in _REDIRECTS and location):
                return Answer(resp.status, content, resp.charset,
                              clock.marks.get("cert_days"), hop)
            url = resp.url.join(URL(location))
            if resp.status == 303 or resp.status in (301, 302) and method == "POST":
                method, body = "GET", None
            if url.origin() != resp.url.origin():
                auth = None  # credentials never follow a redirect to another site
    raise Failure("redirects", f"more than {MAX_REDIRECTS} redirects")


@functools.lru_cache(maxsize=256)
def _timeout(seconds: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=seconds)


_contexts: dict[tuple[bool, str | None], ssl.SSLContext] = {}


def _ssl(cfg: dict[str, Any]) -> ssl.SSLContext | bool:
    if cfg["verify_tls"] and not cfg["ca_pem"]:
        return True  # the connector's default, verifying context
    key = (cfg["verify_tls"], cfg["ca_pem"])
    if key not in _contexts:
        if len(_contexts) > 256:
            _contexts.clear()
        _contexts[key] = net.tls_context(cfg)
    return _contexts[key]


async def _read(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body up to `limit` bytes: part of what a visitor waits for, and what we assert."""
    chunks, got = [], 0
    while got < limit:
        chunk = await resp.content.read(limit - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _judge(cfg: dict[str, Any], answer: Answer, clock: net.Clock) -> Outcome:
    latency = clock.ms()
    extras: dict[str, Any] = dict(clock.marks)
    if answer.redirects:
        extras["redirects"] = answer.redirects
    if answer.status not in cfg["expected_status"]:
        return Outcome.failed("http_status", f"HTTP {answer.status}, expected "
                              f"{sorted(cfg['expected_status'])}", latency, answer.status, extras)
    problem = _content_problem(cfg, answer)
    if problem:
        return Outcome.failed("content", problem, latency, answer.status, extras)
    outcome = Outcome(Status.UP, latency, answer.status, extras=extras)
    warn = cfg["cert_warn_days"]
    if warn and answer.cert_days is not None and answer.cert_days < warn:
        return replace(outcome, status=Status.DEGRADED, error_kind="cert_expiring",
                       error=f"certificate expires in {answer.cert_days:.1f} days")
    return net.degrade_if_slow(outcome, cfg)


def _content_problem(cfg: dict[str, Any], answer: Answer) -> str | None:
    if not (cfg["contains"] or cfg["not_contains"] or cfg["regex"] or cfg["json_path"]):
        return None
    text = answer.body.decode(answer.charset or "utf-8", errors="replace")
    if cfg["contains"] and cfg["contains"] not in text:
        return f"the body does not contain {cfg['contains']!r}"
    if cfg["not_contains"] and cfg["not_contains"] in text:
        return f"the body contains {cfg['not_contains']!r}"
    if cfg["regex"] and not re.search(cfg["regex"], text):
        return f"the body does not match /{cfg['regex']}/"
    if cfg["json_path"]:
        return _json_problem(text, cfg["json_path"], cfg["json_expected"])
    return None


def _json_problem(text: str, path: str, expected: Any) -> str | None:
    """The value at `path` must exist, and equal `expected` unless that is null."""
    try:
        value = json.loads(text)
    except ValueError:
        return "the body is not JSON"
    for step in checkspec.parse_json_path(path):
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return f"{path} is not in the JSON body"
    if expected is not None and value != expected:
        return f"{path} is {json.dumps(value)[:100]}, expected {json.dumps(expected)[:100]}"
    return None


def _classify(exc: BaseException, clock: net.Clock) -> Outcome:
    """Tell the user *why*: aiohttp's errors, unwrapped, then the shared taxonomy."""
    latency = clock.ms()
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return Outcome.failed("tls", str(exc.certificate_error), latency)
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, ForbiddenTarget | ssl.SSLError | ConnectionRefusedError):
            return net.classify(exc.os_error, clock)
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return Outcome.failed("dns", f"cannot resolve {exc.host}: {exc.os_error}")
        return Outcome.failed("connect", str(exc), latency)
    if isinstance(exc, aiohttp.ServerTimeoutError):
        exc = TimeoutError()
    if isinstance(exc, aiohttp.ClientError | ValueError) and not isinstance(exc, OSError):
        return Outcome.failed("protocol", f"{type(exc).__name__}: {exc}", latency)
    return net.classify(exc, clock)
