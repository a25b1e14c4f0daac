"""What every non-HTTP check shares: a guarded resolve, a timed attempt, one error taxonomy.

A check resolves its host here (refusing private addresses unless allowed, on the address
it will really use) and hands the *address* to its driver, so no library resolves the name
again behind the guard's back. `attempt` runs the check's body under its timeout and turns
whatever it raises into a named failure; the phase it was in tells a connect timeout from a
timeout of a peer that answered too slowly.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from executor.checks.base import CheckContext, Failure, Outcome
from executor.clock import Clock
from shared import checkspec
from shared.messages import Status, TestSpec
from shared.netguard import ForbiddenTarget, is_forbidden

Body = Callable[[dict[str, Any], checkspec.Target, Clock], Awaitable[Outcome]]


async def attempt(spec: TestSpec, body: Body) -> Outcome:
    """Validate the config, run `body` under the test's timeout, classify any failure."""
    clock = Clock()
    try:
        cfg = checkspec.validate(spec.kind, spec.config)
        target = checkspec.target(spec.kind, cfg["url"])
    except ValueError as exc:
        return Outcome.failed("config", str(exc))
    try:
        async with asyncio.timeout(spec.timeout_s):
            outcome = await body(cfg, target, clock)
    except Exception as exc:  # every failure becomes a classified outcome
        return classify(exc, clock)
    return degrade_if_slow(outcome, cfg)


def degrade_if_slow(outcome: Outcome, cfg: dict[str, Any]) -> Outcome:
    """Past the test's `degraded_ms`, an UP answer is DEGRADED (and says by how much)."""
    limit = cfg.get("degraded_ms")
    if (
        limit
        and outcome.status is Status.UP
        and outcome.latency_ms is not None
        and outcome.latency_ms > limit
    ):
        return replace(
            outcome,
            status=Status.DEGRADED,
            error_kind="slow",
            error=f"took {outcome.latency_ms:.0f} ms, over {limit:.0f} ms",
        )
    return outcome


def classify(exc: BaseException, clock: Clock) -> Outcome:
    """Tell the user *why*: each failure gets a kind from shared.checkspec.ERROR_KINDS."""
    latency = clock.ms()
    if isinstance(exc, Failure):
        return Outcome.failed(exc.kind, str(exc), latency, exc.http_status)
    if isinstance(exc, ForbiddenTarget):
        return Outcome.failed("forbidden_target", str(exc))
    if isinstance(exc, socket.gaierror):
        return Outcome.failed("dns", f"cannot resolve: {exc.strerror or exc}")
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return Outcome.failed("tls", getattr(exc, "verify_message", None) or str(exc), latency)
    if isinstance(exc, ConnectionRefusedError):
        return Outcome.failed("refused", "connection refused", latency)
    if isinstance(exc, TimeoutError):
        if clock.phase in ("dns", "connect"):
            return Outcome.failed("connect_timeout", "timed out connecting", latency)
        return Outcome.failed(
            "timeout", f"no answer within {latency / 1000:.1f} s (while {clock.phase})", latency
        )
    if isinstance(exc, ConnectionError | OSError):
        return Outcome.failed("connect", f"{type(exc).__name__}: {exc}", latency)
    return Outcome.failed("protocol", f"{type(exc).__name__}: {exc}", latency)


async def resolve(host: str, ctx: CheckContext, port: int = 0) -> list[str]:
    """The addresses of `host` this deployment may check, IPv4 first; raises if none."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError:
        raise socket.gaierror(f"{host!r} is not a valid host name") from None
    addresses = list(
        dict.fromkeys(
            str(info[4][0]) for info in sorted(infos, key=lambda i: i[0] != socket.AF_INET)
        )
    )
    if ctx.allow_private_targets:
        return addresses
    allowed = [a for a in addresses if not is_forbidden(a)]
    if not allowed:
        raise ForbiddenTarget(f"{host} resolves only to private or local addresses")
    return allowed


def tls_context(cfg: dict[str, Any]) -> ssl.SSLContext:
    """Verifying by default; `ca_pem` trusts a private CA too; verify_tls=false trusts any."""
    context = ssl.create_default_context()
    if cfg.get("ca_pem"):
        context.load_verify_locations(cadata=cfg["ca_pem"])
    if not cfg.get("verify_tls", True):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def connect(
    host: str,
    port: int,
    ctx: CheckContext,
    clock: Clock,
    tls: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Resolve (guarded) and open a TCP (optionally TLS) stream, marking the phases."""
    addresses = await resolve(host, ctx, port)
    clock.enter("connect")
    last: BaseException | None = None
    for address in addresses:
        try:
            reader, writer = await asyncio.open_connection(address, port)
            break
        except OSError as exc:
            last = exc
    else:
        assert last is not None
        raise last
    if tls is not None:
        clock.enter("tls")
        await writer.start_tls(tls, server_hostname=server_hostname or host)
    clock.enter("wait")
    return reader, writer


async def open_socket(host: str, port: int, ctx: CheckContext, clock: Clock) -> socket.socket:
    """A connected non-blocking socket to a guarded address, for drivers that take one."""
    addresses = await resolve(host, ctx, port)
    clock.enter("connect")
    loop = asyncio.get_running_loop()
    last: BaseException | None = None
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, (address, port))
            clock.enter("wait")
            return sock
        except BaseException as exc:
            sock.close()
            if not isinstance(exc, OSError):
                raise
            last = exc
    assert last is not None
    raise last


async def address(host: str, port: int, ctx: CheckContext, clock: Clock) -> str:
    """The guarded address a driver should connect to (it then resolves nothing itself)."""
    first = (await resolve(host, ctx, port))[0]
    clock.enter("connect")
    return first


async def close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), 1.0)
    except (OSError, TimeoutError, ssl.SSLError):
        pass  # the check has its verdict; a messy close is not the target's failure
