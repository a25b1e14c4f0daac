"""A test's secrets: never answered in clear, kept when the mask comes back.

The secrets of a test's config are the password in its URL, `basic_auth.password` and the
values of headers named like credentials. A GET answers MASK for each; a PATCH that sends
MASK back (a client that edits what it read) keeps the stored value, but only while the
target stays where it was: a mask sent with a new host would hand the old host's secret to
the new one, so it is refused instead, naming the field; so is a change of target that
would leave a stored secret in place unseen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from api.channels import MASK as MASK

_SECRET_HEADER = re.compile(r"auth|token|secret|key|cookie|session|password|signature", re.I)


class MaskError(ValueError):
    """A mask that cannot be kept; `field` names it."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field}: the target changed: send the secret again, not the mask")
        self.field = field


def secret_header(name: str) -> bool:
    return bool(_SECRET_HEADER.search(name))


def masked(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config as a reader sees it."""
    out = dict(config)
    if isinstance(out.get("url"), str):
        out["url"] = _masked_url(out["url"])
    auth = out.get("basic_auth")
    if isinstance(auth, Mapping) and auth.get("password"):
        out["basic_auth"] = {**auth, "password": MASK}
    headers = out.get("headers")
    if isinstance(headers, Mapping):
        out["headers"] = {k: MASK if secret_header(str(k)) else v for k, v in headers.items()}
    return out


def unmasked(changes: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` with each MASK replaced by the stored secret it stands for; MaskError when
    the URL's origin changed, so the secret would go somewhere new."""
    out = dict(changes)
    new_url, old_url = out.get("url", stored.get("url")), stored.get("url")
    same_origin = _origin(new_url) == _origin(old_url)
    if isinstance(out.get("url"), str) and _password(out["url"]) == MASK:
        if not same_origin or not isinstance(old_url, str) or _password(old_url) is None:
            raise MaskError("url")
        out["url"] = _with_password(out["url"], _raw_password(old_url))
    auth = out.get("basic_auth")
    if isinstance(auth, Mapping) and auth.get("password") == MASK:
        old = stored.get("basic_auth")
        if not same_origin or not isinstance(old, Mapping):
            raise MaskError("basic_auth")
        out["basic_auth"] = {**auth, "password": old.get("password", "")}
    headers = out.get("headers")
    if isinstance(headers, Mapping):
        out["headers"] = _kept_headers(headers, stored.get("headers"), same_origin)
    if not same_origin:
        _refuse_carried(out, stored)
    return out


def _refuse_carried(changes: Mapping[str, Any], stored: Mapping[str, Any]) -> None:
    """A new target must not inherit the old one's secrets unseen: a stored password or
    secret header the change leaves in place must be sent again (or removed)."""
    auth = stored.get("basic_auth")
    if "basic_auth" not in changes and isinstance(auth, Mapping) and auth.get("password"):
        raise MaskError("basic_auth")
    headers = stored.get("headers")
    if (
        "headers" not in changes
        and isinstance(headers, Mapping)
        and any(secret_header(str(name)) for name in headers)
    ):
        raise MaskError("headers")


def _kept_headers(headers: Mapping[str, Any], old: Any, same_origin: bool) -> dict[str, Any]:
    old = old if isinstance(old, Mapping) else {}
    kept = dict(headers)
    for name, value in headers.items():
        if value == MASK and secret_header(str(name)):
            if not same_origin or name not in old:
                raise MaskError("headers")
            kept[name] = old[name]
    return kept


def _origin(url: Any) -> tuple[str, str, int | None] | None:
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), (parts.hostname or ""), parts.port
    except ValueError:
        return None


def _password(url: Any) -> str | None:
    try:
        return urlsplit(url).password if isinstance(url, str) else None
    except ValueError:
        return None


def _raw_password(url: str) -> str:
    """The password as written in the URL (still percent-encoded)."""
    userinfo = urlsplit(url).netloc.rpartition("@")[0]
    return userinfo.partition(":")[2]


def _with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{hostport}"))


def _masked_url(url: str) -> str:
    return _with_password(url, MASK) if _password(url) else url
