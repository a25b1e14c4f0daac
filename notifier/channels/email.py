"""Email over SMTP (aiosmtplib): plain text and HTML in the account's language.

A channel names its recipients and either its own server (`host`, `port`, `security` of
starttls | tls | plain, `username`/`password`, `tls_ca` to trust a private CA) or none, and
then the operator's relay (VIGIL_SMTP_URL) carries it. An account's own server passes the
SSRF guard (resolved once, connected by address, the certificate checked against the name);
the operator's relay is trusted, local or not. A status page subscriber's mail carries
`unsubscribe_url`: the link in its body and in `List-Unsubscribe` (one click, RFC 8058).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from notifier.channels.base import Context, need, optional
from notifier.errors import DeliveryError
from notifier.message import Notification
from notifier.render import render
from shared.netguard import ForbiddenTarget, resolve_checked

PORTS = {"starttls": 587, "tls": 465, "plain": 25}


def build(
    n: Notification, sender: str, recipients: list[str], unsubscribe_url: str = ""
) -> EmailMessage:
    r = render(n, unsubscribe_url)
    msg = EmailMessage()
    msg["Subject"] = " ".join(r.subject.split())  # a name with a line break cannot add headers
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "vigil.invalid")
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to alerts
    msg["X-Vigil-Event"] = n.kind
    msg["X-Vigil-Key"] = n.key
    if unsubscribe_url:  # a status page subscriber's mail: RFC 8058 one-click unsubscribe
        msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(r.text)
    msg.add_alternative(r.html, subtype="html")
    msg["Content-Language"] = r.language  # after the bodies: set_content drops Content-*
    return msg


def relay(url: str) -> dict[str, Any]:
    """The operator's VIGIL_SMTP_URL as a channel config: smtp:// (STARTTLS), smtps:// (TLS),
    smtp://...?security=plain for a local relay without TLS."""
    parts = urlsplit(url)
    security = (
        "tls" if parts.scheme == "smtps" else parse_qs(parts.query).get("security", ["starttls"])[0]
    )
    return {
        "host": parts.hostname,
        "port": parts.port,
        "security": security,
        "username": unquote(parts.username or "") or None,
        "password": unquote(parts.password or "") or None,
    }


async def send(notification: Notification, config: Mapping[str, Any], ctx: Context) -> str:
    recipients = _recipients(config)
    trusted = "host" not in config
    if trusted and not ctx.smtp_url:
        raise DeliveryError("config.host: missing, and no VIGIL_SMTP_URL relay", permanent=True)
    server = relay(ctx.smtp_url) if trusted else dict(config)
    sender = optional(config, "from", str, ctx.smtp_from)
    if "@" not in sender or set(sender) & set("\r\n"):
        raise DeliveryError("config.from: not an email address", permanent=True)
    message = build(notification, sender, recipients, _unsubscribe_url(config))
    try:
        await _deliver(
            message, sender, recipients, server, ctx.allow_private or trusted, ctx.timeout_s
        )
    except ForbiddenTarget as exc:
        raise DeliveryError(str(exc), permanent=True) from None
    except aiosmtplib.SMTPResponseException as exc:
        answer = f"SMTP {exc.code}: {exc.message}"
        raise DeliveryError(answer, permanent=exc.code >= 500, detail=answer) from None
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"recipients refused: {exc}", permanent=True) from None
    except ssl.SSLCertVerificationError as exc:
        raise DeliveryError(f"TLS: {exc.verify_message}", permanent=True) from None
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
    return f"accepted for {len(recipients)} recipient(s)"


def _unsubscribe_url(config: Mapping[str, Any]) -> str:
    url = optional(config, "unsubscribe_url", str, "")
    if url and (
        not url.startswith(("https://", "http://")) or set(url) & set("\r\n <>") or len(url) > 2000
    ):
        raise DeliveryError("config.unsubscribe_url: not a plain http(s) URL", permanent=True)
    return url


def _recipients(config: Mapping[str, Any]) -> list[str]:
    to = config.get("to")
    recipients = [to] if isinstance(to, str) else to
    if (
        not isinstance(recipients, list)
        or not recipients
        or len(recipients) > 50
        or not all(
            isinstance(a, str) and "@" in a and not set(a) & set("\r\n,") for a in recipients
        )
    ):
        raise DeliveryError("config.to: one to 50 email addresses", permanent=True)
    return recipients


async def _deliver(
    message: EmailMessage,
    sender: str,
    recipients: list[str],
    server: Mapping[str, Any],
    allow_private: bool,
    timeout_s: float,
) -> None:
    host = need(server, "host")
    security = optional(server, "security", str, "starttls")
    if security not in PORTS:
        raise DeliveryError("config.security: use starttls, tls or plain", permanent=True)
    username = optional(server, "username", str, None)
    if username and security == "plain":
        raise DeliveryError(
            "config.security: plain SMTP would send the password in clear", permanent=True
        )
    port = optional(server, "port", int, PORTS[security])
    tls = None if security == "plain" else _tls_context(optional(server, "tls_ca", str, None))
    address = await resolve_checked(host, port, allow_private)
    sock = await _connect(address, port, timeout_s)
    await aiosmtplib.send(
        message,
        sender=sender,
        recipients=recipients,
        hostname=host,
        sock=sock,
        username=username,
        password=optional(server, "password", str, None),
        use_tls=security == "tls",
        start_tls=security == "starttls",
        tls_context=tls,
        timeout=timeout_s,
    )


@lru_cache(maxsize=64)
def _tls_context(ca_pem: str | None) -> ssl.SSLContext:
    """Made once per CA and shared by every connection: loading the system's trust store
    costs ~35 ms of CPU, more than the whole SMTP exchange with a local relay."""
    try:
        return ssl.create_default_context(cadata=ca_pem) if ca_pem else ssl.create_default_context()
    except (ssl.SSLError, ValueError):
        raise DeliveryError("config.tls_ca: not a PEM certificate", permanent=True) from None


async def _connect(address: str, port: int, timeout_s: float) -> socket.socket:
    """Connect to the address the guard checked, not to whatever the name says next."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        await asyncio.wait_for(
            asyncio.get_running_loop().sock_connect(sock, (address, port)), timeout_s
        )
    except BaseException:
        sock.close()
        raise
    return sock
