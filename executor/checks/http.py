"""HTTP(S) check: status codes, content assertions, latency threshold, timings, cert days.

Redirects are followed here, hop by hop, so the SSRF guard sees every hop. The body is read
up to the body limit; content assertions (keyword, regex, JSON path) look at what was read.
The requests go through the executor's own lean client (executor/httpclient.py).
"""

from __future__ import annotations

import json
import re
import socket
import ssl
from dataclasses import dataclass, replace
from typing import Any

from yarl import URL

from executor.checks import net
from executor.checks.base import CheckContext, Failure, Outcome
from executor.httpclient import ProtocolError, Request
from shared import checkspec
from shared.messages import Status, TestSpec
from shared.netguard import check_literal

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
    try:
        with ctx.http.within(spec.timeout_s):  # asyncio.timeout's behaviour, for less
            answer = await _fetch(ctx, cfg, clock)
    except Exception as exc:  # every failure becomes a classified outcome
        return _classify(exc, clock)
    return _judge(cfg, answer, clock)


async def _fetch(ctx: CheckContext, cfg: dict[str, Any], clock: net.Clock) -> Answer:
    url, method = URL(cfg["url"]), cfg["method"]
    body: str | None = cfg["body"]
    auth = cfg["basic_auth"] and (cfg["basic_auth"]["username"], cfg["basic_auth"]["password"])
    tls = _ssl(cfg)
    for hop in range(MAX_REDIRECTS + 1):
        check_literal(url.host or "", ctx.allow_private_targets)
        request = Request(method, url, cfg["headers"], body, auth or None, tls)
        resp = await ctx.http.fetch(request, clock, ctx.max_body_bytes)
        location = resp.headers.get("location")
        if not (cfg["follow_redirects"] and resp.status in _REDIRECTS and location):
            return Answer(resp.status, resp.body, resp.charset, clock.marks.get("cert_days"), hop)
        previous, url = url, url.join(URL(location))
        if resp.status == 303 or resp.status in (301, 302) and method == "POST":
            method, body = "GET", None
        if url.origin() != previous.origin():
            auth = None  # credentials never follow a redirect to another site
    raise Failure("redirects", f"more than {MAX_REDIRECTS} redirects")


_contexts: dict[tuple[bool, str | None], ssl.SSLContext] = {}


def _ssl(cfg: dict[str, Any]) -> ssl.SSLContext | None:
    if cfg["verify_tls"] and not cfg["ca_pem"]:
        return None  # the client's default, verifying context
    key = (cfg["verify_tls"], cfg["ca_pem"])
    if key not in _contexts:
        if len(_contexts) > 256:
            _contexts.clear()
        _contexts[key] = net.tls_context(cfg)
    return _contexts[key]


def _judge(cfg: dict[str, Any], answer: Answer, clock: net.Clock) -> Outcome:
    latency = clock.ms()
    extras: dict[str, Any] = dict(clock.marks)
    if answer.redirects:
        extras["redirects"] = answer.redirects
    if answer.status not in cfg["expected_status"]:
        return Outcome.failed(
            "http_status",
            f"HTTP {answer.status}, expected {sorted(cfg['expected_status'])}",
            latency,
            answer.status,
            extras,
        )
    problem = _content_problem(cfg, answer)
    if problem:
        return Outcome.failed("content", problem, latency, answer.status, extras)
    outcome = Outcome(Status.UP, latency, answer.status, extras=extras)
    warn = cfg["cert_warn_days"]
    if warn and answer.cert_days is not None and answer.cert_days < warn:
        return replace(
            outcome,
            status=Status.DEGRADED,
            error_kind="cert_expiring",
            error=f"certificate expires in {answer.cert_days:.1f} days",
        )
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
    """Tell the user *why*: the client's errors, then the shared taxonomy."""
    if isinstance(exc, socket.gaierror):
        return Outcome.failed("dns", str(exc))
    latency = clock.ms()
    if isinstance(exc, ProtocolError):
        return Outcome.failed("protocol", str(exc), latency)
    if isinstance(exc, ValueError) and not isinstance(exc, OSError):  # a bad Location, ...
        return Outcome.failed("protocol", f"{type(exc).__name__}: {exc}", latency)
    if clock.phase == "tls" and isinstance(exc, ConnectionError):
        # The peer hung up in the middle of the handshake: TLS is what failed.
        return Outcome.failed(
            "tls", f"the connection closed during the TLS handshake ({type(exc).__name__})", latency
        )
    return net.classify(exc, clock)
