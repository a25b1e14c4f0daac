"""Custom domains of status pages: what a host name may be, in one canonical form.

A page's domain is stored lower-case with IDNA A-labels (`xn--...`), so `Bücher.Example`
and `xn--bcher-kva.example` are the same domain and collide as they should.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

import idna

MAX_LENGTH = 253  # RFC 1035, without the root's dot
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
PORT = re.compile(r":\d{1,5}$")


def host_name(value: str) -> str:
    """The host name in canonical form; a ValueError says what is wrong with it."""
    encoded = _encode(_bare(value))
    labels = encoded.split(".")
    if len(labels) < 2:
        raise ValueError("must be a full domain name, such as status.example.com")
    if not all(LABEL.match(label) for label in labels):
        raise ValueError("each part between dots must be letters, digits and inner hyphens")
    if labels[-1].isdigit():  # 10.1 or 1.2.3: what resolvers read as an address
        raise ValueError("must be a host name, not an IP address")
    if len(encoded) > MAX_LENGTH:
        raise ValueError(f"must be at most {MAX_LENGTH} characters once encoded")
    return encoded


def _bare(value: str) -> str:
    """The name itself: refuses what a URL has around a host, and addresses."""
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        raise ValueError("must not contain spaces or control characters")
    if "://" in value:
        raise ValueError("a host name only, without a scheme such as https://")
    if any(ch in value for ch in "/?#@\\"):
        raise ValueError("a host name only, without a path, query or user")
    name = value.removesuffix(".")  # the root's dot is the same domain
    if _is_ip(name):
        raise ValueError("must be a host name, not an IP address")
    if ":" in name:
        raise ValueError("a host name only, without a port")
    return name


def _encode(name: str) -> str:
    """Lower-case, full-width forms folded (UTS 46), Unicode labels as A-labels."""
    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValueError(f"is not a valid host name ({exc})") from None


def lookup_form(host: str) -> str | None:
    """A Host header's name (its port dropped) in canonical form, or None if it is none."""
    try:
        return host_name(PORT.sub("", host))
    except ValueError:
        return None


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True
