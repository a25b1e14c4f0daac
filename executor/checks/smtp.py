"""SMTP check: the 220 banner (optionally containing a text), EHLO, optional STARTTLS.

`smtp://` is plain SMTP (STARTTLS if `starttls` is set), `smtps://` is implicit TLS. The
socket is opened on the guarded address; the name is kept for the TLS handshake.
"""

from __future__ import annotations

from typing import Any

import aiosmtplib

from executor.checks import net
from executor.checks.base import CheckContext, Failure, Outcome
from shared.checkspec import Target
from shared.messages import Status, TestSpec


async def run(spec: TestSpec, ctx: CheckContext) -> Outcome:
    async def body(cfg: dict[str, Any], target: Target, clock: net.Clock) -> Outcome:
        sock = await net.open_socket(target.host, target.port, ctx, clock)
        tls = net.tls_context(cfg)
        client = aiosmtplib.SMTP(
            hostname=target.host,
            sock=sock,
            start_tls=False,
            use_tls=target.scheme == "smtps",
            tls_context=tls,
            timeout=spec.timeout_s,
        )
        try:
            await _converse(client, cfg, clock, tls)
        except aiosmtplib.SMTPException as exc:
            raise _failure(exc, clock) from exc
        finally:
            client.close()
        return Outcome(Status.UP, clock.ms(), extras=clock.marks)

    return await net.attempt(spec, body)


async def _converse(
    client: aiosmtplib.SMTP, cfg: dict[str, Any], clock: net.Clock, tls: Any
) -> None:
    clock.phase = "banner"
    banner = await client.connect()
    clock.enter("ehlo", mark="banner_ms")
    if banner.code != 220:
        raise Failure("protocol", f"banner {banner.code} {banner.message[:200]}")
    if cfg["banner_contains"] and cfg["banner_contains"] not in banner.message:
        raise Failure("content", f"the banner does not contain {cfg['banner_contains']!r}")
    await client.ehlo()
    if cfg["starttls"]:
        if not client.supports_extension("starttls"):
            raise Failure("protocol", "the server does not offer STARTTLS")
        clock.enter("tls", mark="ehlo_ms")
        await client.starttls(tls_context=tls)
        clock.enter("quit", mark="tls_ms")
    await client.quit()


def _failure(exc: aiosmtplib.SMTPException, clock: net.Clock) -> BaseException:
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, aiosmtplib.SMTPTimeoutError):
        return TimeoutError(str(exc))
    if cause is not None and isinstance(cause, OSError | TimeoutError):
        return cause  # TLS, refused, reset: classified like any connection's
    return Failure("protocol", f"{type(exc).__name__}: {exc}")
