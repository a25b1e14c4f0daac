"""What a monitor may point at, decided when it is created.

The executor checks the resolved address again at check time (handbook section 7); here we
refuse what needs no DNS: malformed URLs and IP literals in ranges that are not the public
internet, so the service cannot be aimed at the operator's own network.
"""

from __future__ import annotations

import socket
import unicodedata
from ipaddress import IPv4Address, IPv6Address, ip_address
from urllib.parse import urlsplit

from shared.checkspec import SCHEMES as KIND_SCHEMES
from shared.netguard import is_forbidden

MAX_URL_LENGTH = 2048
HTTP_SCHEMES = ("http", "https")  # what a webhook or a logo may be
# Every scheme some kind of check uses; which one fits which kind, shared.checkspec decides.
SCHEMES = tuple(dict.fromkeys(s for schemes in KIND_SCHEMES.values() for s in schemes))


def check_test_url(url: str) -> str:
    """Refuse a URL no kind of check can use (checkspec then matches scheme and kind)."""
    return check_url(url, SCHEMES)


def check_url(url: str, schemes: tuple[str, ...] = HTTP_SCHEMES) -> str:
    """Refuse a URL that is not one of `schemes` (by default an HTTP(S) URL, for webhooks
    and logos); the ValueError's message is shown to the user."""
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cs") for ch in url):
        raise ValueError("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is what validates it
    except ValueError:
        raise ValueError("is not a valid URL") from None
    if parts.scheme.lower() not in schemes:
        raise ValueError(f"scheme must be one of {', '.join(schemes)}")
    if not parts.hostname:
        raise ValueError("must name a host")
    return url


def url_host(url: str) -> str:
    """The host of a URL that passed `check_url`, lower-cased, without IPv6 brackets."""
    return urlsplit(url).hostname or ""


def is_private(host: str) -> bool:
    """True when host is 'localhost' or an IP literal that is not global unicast."""
    if host == "localhost" or host.endswith(".localhost"):  # RFC 6761: always loopback
        return True
    address = _ip_literal(host)
    if address is None:
        return False
    return is_forbidden(str(address))  # the executor's own guard: one rule at both times


def _ip_literal(host: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(host)
    except ValueError:
        pass
    # The system resolver also takes legacy IPv4 forms (127.1, 0x7f.0.0.1, 2130706433)
    # without asking DNS, so they are literals too.
    try:
        return IPv4Address(socket.inet_aton(host))
    except OSError:
        return None
