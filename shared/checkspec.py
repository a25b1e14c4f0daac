"""What a test's `config` may hold, per kind: pure validators the API and the executor share.

`validate(kind, config)` returns the config with defaults filled in, or raises ValueError
whose text starts with the field it is about ("url: ..."). Every kind names its target as a
URL whose scheme says the protocol (`tcp://host:port`, `postgresql://user@host/db`, ...);
`target(url)` splits it. The executor reads configs through the same functions, so what the
API accepts is exactly what the executor runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

# Why a check failed: a small, stable taxonomy a user (and a translator) can rely on.
ERROR_KINDS: dict[str, str] = {
    "dns": "the name did not resolve (or the resolver answered with an error)",
    "refused": "the target refused the connection",
    "connect_timeout": "no connection within the timeout",
    "connect": "the connection failed (unreachable, reset)",
    "tls": "the TLS handshake or certificate failed",
    "timeout": "connected, but no complete answer within the timeout",
    "http_status": "an HTTP status that is not expected",
    "content": "the answer did not hold what it must (keyword, regex, JSON value, records)",
    "redirects": "too many redirects",
    "protocol": "the peer spoke, but not the expected protocol",
    "auth": "the credentials were refused",
    "packet_loss": "every ping was lost",
    "ping_not_permitted": "this node may not send ICMP (kernel ping sockets off, no raw socket)",
    "forbidden_target": "the target resolves to a private or local address",
    "config": "the test's configuration is not valid",
    "unsupported": "this executor does not know the kind",
    "internal": "the check itself crashed (a bug in Vigil)",
    # reasons a check that passed is DEGRADED rather than UP
    "slow": "answered, but slower than the test's degraded_ms",
    "cert_expiring": "the certificate expires within the warning period",
    "packet_loss_partial": "some pings were lost",
}

# Failures that say the node could not reach anything, rather than that the target is down:
# when every check of a node fails so while other nodes of its region succeed, the node is
# broken (scheduler/health.py). A refused connection is an answer, so it is not among them.
NETWORK_ERROR_KINDS = frozenset({"dns", "connect", "connect_timeout", "timeout"})

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
DNS_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA", "SRV", "CAA", "PTR")
MAX_RETRIES = 5
MAX_TEXT = 65_536
CERT_WARN_DAYS = 14  # a certificate with fewer days left is reported as expiring (0: never)
MAX_WARN_DAYS = 365
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")


@dataclass(frozen=True)
class Target:
    """Where a check goes, split out of its URL."""

    scheme: str
    host: str
    port: int
    user: str | None = None
    password: str | None = None
    path: str = ""


# scheme -> default port, per kind
SCHEMES: dict[str, dict[str, int]] = {
    "http": {"http": 80, "https": 443},
    "tcp": {"tcp": 0},
    "tls": {"tls": 443},
    "ping": {"icmp": 0, "ping": 0},
    "dns": {"dns": 53},
    "smtp": {"smtp": 25, "smtps": 465},
    "redis": {"redis": 6379, "rediss": 6379},
    "postgres": {"postgresql": 5432, "postgres": 5432},
    "mysql": {"mysql": 3306},
    "rabbitmq": {"amqp": 5672, "amqps": 5671},
}


def target(kind: str, url: str) -> Target:
    """Split a test's URL; raises ValueError("url: ...") when it does not fit the kind."""
    schemes = SCHEMES[kind]
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"url: {exc}") from None
    if parts.scheme not in schemes:
        raise ValueError(f"url: scheme must be one of {', '.join(schemes)}")
    host = parts.hostname
    if not host:
        raise ValueError("url: has no host")
    port = port or schemes[parts.scheme]
    if not port and kind != "ping":
        raise ValueError("url: needs a port")
    # Executors validate every check's config: skip the user-info parsing when there is none.
    user, password = (
        (_unquoted(parts.username), _unquoted(parts.password))
        if "@" in parts.netloc
        else (None, None)
    )
    return Target(parts.scheme, host, port, user, password, _path(parts))


def _unquoted(text: str | None) -> str | None:
    return None if text is None else unquote(text)


def _path(parts: SplitResult) -> str:
    return unquote(parts.path.lstrip("/"))


# --- field readers: each names its field in the error -------------------------------------


def _str(cfg: Mapping[str, Any], name: str, default: str | None = None, max_len: int = 2048) -> Any:
    value = cfg.get(name, default)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name}: expected a string")
    if len(value) > max_len:
        raise ValueError(f"{name}: longer than {max_len} characters")
    return value


def _int(cfg: Mapping[str, Any], name: str, default: int | None, low: int, high: int) -> Any:
    value = cfg.get(name, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{name}: expected a whole number from {low} to {high}")
    return value


def _number(cfg: Mapping[str, Any], name: str, low: float, high: float) -> float | None:
    value = cfg.get(name)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not low < value <= high:
        raise ValueError(f"{name}: expected a number above {low} and at most {high}")
    return float(value)


def _bool(cfg: Mapping[str, Any], name: str, default: bool) -> bool:
    value = cfg.get(name, default)
    if not isinstance(value, bool):
        raise ValueError(f"{name}: expected true or false")
    return value


def _str_list(cfg: Mapping[str, Any], name: str, max_items: int = 50) -> list[str] | None:
    value = cfg.get(name)
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) > max_items
        or not all(isinstance(v, str) and len(v) <= 1024 for v in value)
    ):
        raise ValueError(f"{name}: expected a list of at most {max_items} strings")
    return value


def _url(cfg: Mapping[str, Any], kind: str) -> str:
    url: str | None = _str(cfg, "url")
    if url is None:
        raise ValueError("url: required")
    target(kind, url)
    return url


def _common(cfg: Mapping[str, Any], kind: str) -> dict[str, Any]:
    if not isinstance(cfg, dict | Mapping):  # dict first: an ABC check costs more
        raise ValueError("config: expected an object")
    return {
        "url": _url(cfg, kind),
        "retries": _int(cfg, "retries", 1, 0, MAX_RETRIES),
        "degraded_ms": _number(cfg, "degraded_ms", 0, 600_000),
    }


def _tls_options(cfg: Mapping[str, Any]) -> dict[str, Any]:
    ca_pem = _str(cfg, "ca_pem", max_len=MAX_TEXT)
    if ca_pem is not None and "-----BEGIN CERTIFICATE-----" not in ca_pem:
        raise ValueError("ca_pem: expected PEM certificates")
    return {"verify_tls": _bool(cfg, "verify_tls", True), "ca_pem": ca_pem}


# --- one validator per kind ---------------------------------------------------------------


def _http(cfg: Mapping[str, Any]) -> dict[str, Any]:
    out = _common(cfg, "http") | _tls_options(cfg)
    method = _str(cfg, "method", "GET")
    if method not in HTTP_METHODS:
        raise ValueError(f"method: must be one of {', '.join(HTTP_METHODS)}")
    expected = cfg.get("expected_status", [200])
    if (
        not isinstance(expected, list)
        or not 0 < len(expected) <= 20
        or not all(
            isinstance(c, int) and not isinstance(c, bool) and 100 <= c <= 599 for c in expected
        )
    ):
        raise ValueError("expected_status: expected 1-20 status codes from 100 to 599")
    regex = _str(cfg, "regex", max_len=500)
    if regex is not None:
        try:
            re.compile(regex)
        except re.error as exc:
            raise ValueError(f"regex: {exc}") from None
    json_path = _str(cfg, "json_path", max_len=500)
    if json_path is not None:
        parse_json_path(json_path)
    out.update(
        method=method,
        expected_status=expected,
        headers=_headers(cfg),
        body=_str(cfg, "body", max_len=MAX_TEXT),
        follow_redirects=_bool(cfg, "follow_redirects", True),
        contains=_str(cfg, "contains", max_len=1000),
        not_contains=_str(cfg, "not_contains", max_len=1000),
        regex=regex,
        json_path=json_path,
        json_expected=cfg.get("json_expected"),
        basic_auth=_basic_auth(cfg),
        cert_warn_days=_warn_days(cfg, "http"),
    )
    return out


def _headers(cfg: Mapping[str, Any]) -> dict[str, str]:
    headers = cfg.get("headers") or {}
    if not isinstance(headers, dict | Mapping) or len(headers) > 50:
        raise ValueError("headers: expected an object of at most 50 headers")
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise ValueError(f"headers: {name!r} is not a header name")
        if not isinstance(value, str) or len(value) > 4096 or "\r" in value or "\n" in value:
            raise ValueError(f"headers: the value of {name} must be one line of text")
    return dict(headers)


def _basic_auth(cfg: Mapping[str, Any]) -> dict[str, str] | None:
    auth = cfg.get("basic_auth")
    if auth is None:
        return None
    if (
        not isinstance(auth, Mapping)
        or not isinstance(auth.get("username"), str)
        or not isinstance(auth.get("password", ""), str)
        or ":" in auth["username"]
    ):
        raise ValueError("basic_auth: expected {username, password} (no ':' in the username)")
    return {"username": auth["username"], "password": auth.get("password", "")}


_PATH_STEP = re.compile(r"\.([A-Za-z_][\w-]*)|\[(\d+)\]|\[\"([^\"]*)\"\]")


def parse_json_path(path: str) -> list[str | int]:
    """`$.a.b[0]["c d"]` -> ["a", "b", 0, "c d"]; the leading `$` is optional."""
    text = path[1:] if path.startswith("$") else path
    if text and text[0] not in ".[":
        text = "." + text
    steps: list[str | int] = []
    pos = 0
    while pos < len(text):
        m = _PATH_STEP.match(text, pos)
        if not m:
            raise ValueError(f"json_path: cannot read {text[pos:]!r}")
        key, index, quoted = m.groups()
        steps.append(int(index) if index is not None else key if key is not None else quoted)
        pos = m.end()
    return steps


def _tcp(cfg: Mapping[str, Any]) -> dict[str, Any]:
    return _common(cfg, "tcp")


def _tls(cfg: Mapping[str, Any]) -> dict[str, Any]:
    out = _common(cfg, "tls") | _tls_options(cfg)
    out.update(server_name=_str(cfg, "server_name", max_len=253), warn_days=_warn_days(cfg, "tls"))
    return out


def _warn_days(cfg: Mapping[str, Any], kind: str) -> int:
    """HTTP names it `cert_warn_days`; TLS `warn_days` (its first name) or `cert_warn_days`,
    so the API has one name for both."""
    name = "warn_days" if kind == "tls" and cfg.get("warn_days") is not None else "cert_warn_days"
    days = _int(cfg, name, CERT_WARN_DAYS, 0, MAX_WARN_DAYS)
    if days is None:  # an explicit null: there is no "no value" for this mark (0 is never)
        raise ValueError(f"{name}: expected a whole number from 0 to {MAX_WARN_DAYS}")
    return int(days)


def cert_warn_days(kind: str, config: Any) -> int:
    """The days under which a stored test's certificate counts as expiring; 0 (never) for
    kinds without a certificate mark, and for a bad value (the executor refuses it too)."""
    if kind not in ("http", "tls") or not isinstance(config, Mapping):
        return 0
    try:
        return _warn_days(config, kind)
    except ValueError:
        return 0


def _ping(cfg: Mapping[str, Any]) -> dict[str, Any]:
    return _common(cfg, "ping") | {"count": _int(cfg, "count", 3, 1, 10)}


def _dns(cfg: Mapping[str, Any]) -> dict[str, Any]:
    out = _common(cfg, "dns")
    name = _str(cfg, "name", max_len=253)
    if not name:
        raise ValueError("name: required")
    record_type = _str(cfg, "record_type", "A")
    if record_type not in DNS_TYPES:
        raise ValueError(f"record_type: must be one of {', '.join(DNS_TYPES)}")
    out.update(
        name=name,
        record_type=record_type,
        expected=_str_list(cfg, "expected"),
        tcp=_bool(cfg, "tcp", False),
    )
    return out


def _smtp(cfg: Mapping[str, Any]) -> dict[str, Any]:
    out = _common(cfg, "smtp") | _tls_options(cfg)
    out.update(
        starttls=_bool(cfg, "starttls", False),
        banner_contains=_str(cfg, "banner_contains", max_len=200),
    )
    return out


def _plain(kind: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    def validate_kind(cfg: Mapping[str, Any]) -> dict[str, Any]:
        return _common(cfg, kind)

    return validate_kind


VALIDATORS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "http": _http,
    "tcp": _tcp,
    "tls": _tls,
    "ping": _ping,
    "dns": _dns,
    "smtp": _smtp,
    "redis": _plain("redis"),
    "postgres": _plain("postgres"),
    "mysql": _plain("mysql"),
    "rabbitmq": _plain("rabbitmq"),
}


def validate(kind: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The config with defaults filled in; ValueError("<field>: <why>") if it is not valid."""
    if type(config) is _VALID.get(kind):
        return config  # validated when it was kept (`keep`)
    if kind not in VALIDATORS:
        raise ValueError(f"kind: must be one of {', '.join(VALIDATORS)}")
    out = VALIDATORS[kind](config)
    for name, value in config.items() if isinstance(config, Mapping) else ():
        if not _storable(value):
            raise ValueError(f"{name}: must be text without NUL characters or lone surrogates")
    return out


def _storable(value: Any) -> bool:
    """No NUL and no lone surrogate anywhere: PostgreSQL's JSONB cannot hold the one, UTF-8
    cannot encode the other, and no peer can be sent either."""
    if isinstance(value, str):
        return "\x00" not in value and not any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, Mapping):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(v) for v in value)
    return True


# --- configs an executor holds: validated once, as small as they came ------------------------


class Valid(dict):  # type: ignore[type-arg]
    """A config that passed `validate`: the values it gave, as validated, and the kind's
    defaults for the keys it left out, on lookup. As small as the config it came from (a
    filled-in copy is ~2.5x the size), and `validate` of one is free: an executor holds its
    tests' configs this way and checks them thousands of times a second."""

    __slots__ = ()
    defaults: dict[str, Any] = {}

    def __missing__(self, key: str) -> Any:
        return self.defaults[key]

    def get(self, key: str, default: Any = None) -> Any:
        if key in self or key in self.defaults:
            return self[key]
        return default


def _defaults(kind: str) -> dict[str, Any]:
    """What `validate` fills in for a config that gives only what the kind requires."""
    minimal = {"url": f"{next(iter(SCHEMES[kind]))}://example.com:1", "name": "example.com"}
    return {k: v for k, v in VALIDATORS[kind](minimal).items() if k not in minimal}


_VALID: dict[str, type[Valid]] = {
    kind: type(f"Valid{kind.title()}", (Valid,), {"__slots__": (), "defaults": _defaults(kind)})
    for kind in VALIDATORS
}


def keep(kind: str, config: Mapping[str, Any]) -> Valid:
    """`config` validated, in the compact form an executor holds; ValueError as `validate`."""
    full = validate(kind, config)
    return _VALID[kind]({k: v for k, v in full.items() if k in config})


# --- the options a user may set, per kind: the API's schema is generated from this table ----
# Only names, JSON types, help text and examples: the rules are the validators above, and
# tests/shared/test_checkspec.py proves the table names exactly what they read.


@dataclass(frozen=True)
class Option:
    """One field a test of some kind may hold, as the API documents it."""

    schema: dict[str, Any]  # the JSON schema of its value (the type; the validators judge)
    description: str
    example: Any = None
    required: bool = False


def _integer(low: int, high: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high}


_TEXT = {"type": "string"}
_BOOL = {"type": "boolean"}
EXAMPLE_URLS: dict[str, str] = {
    "http": "https://example.com/health",
    "tcp": "tcp://db.example.com:5432",
    "tls": "tls://example.com:443",
    "ping": "icmp://example.com",
    "dns": "dns://9.9.9.9",
    "smtp": "smtp://mail.example.com:25",
    "redis": "redis://:password@cache.example.com:6379",
    "postgres": "postgresql://monitor:password@db.example.com:5432/app",
    "mysql": "mysql://monitor:password@db.example.com:3306/app",
    "rabbitmq": "amqp://monitor:password@mq.example.com:5672/vhost",
}


def _common_options(kind: str) -> dict[str, Option]:
    schemes = ", ".join(f"{s}://" for s in SCHEMES[kind])
    return {
        "url": Option(
            {**_TEXT, "maxLength": 2048},
            f"the target; scheme {schemes}",
            EXAMPLE_URLS[kind],
            required=True,
        ),
        "retries": Option(
            _integer(0, MAX_RETRIES),
            "tries again on the node before a failure is reported (default 1)",
            1,
        ),
        "degraded_ms": Option(
            {"type": "number", "exclusiveMinimum": 0, "maximum": 600_000},
            "answered slower than this: DEGRADED (reason slow)",
            2000,
        ),
    }


_TLS_OPTIONS = {
    "verify_tls": Option(_BOOL, "verify the certificate (default true)", True),
    "ca_pem": Option(
        {**_TEXT, "maxLength": MAX_TEXT},
        "PEM certificates to trust instead of the system's",
        "-----BEGIN CERTIFICATE-----\n...",
    ),
}
_WARN_DAYS = Option(
    _integer(0, MAX_WARN_DAYS),
    "with fewer days left the certificate is "
    f"reported as expiring (DEGRADED); 0 never (default {CERT_WARN_DAYS})",
    14,
)
_HTTP_OPTIONS = {
    "method": Option({"enum": list(HTTP_METHODS)}, "the request method (default GET)", "GET"),
    "expected_status": Option(
        {"type": "array", "items": _integer(100, 599), "minItems": 1, "maxItems": 20},
        "the status codes that count as up (default [200])",
        [200, 204],
    ),
    "headers": Option(
        {"type": "object", "additionalProperties": _TEXT, "maxProperties": 50},
        "request headers (one line each; secret ones are masked when read)",
        {"Accept": "application/json"},
    ),
    "body": Option({**_TEXT, "maxLength": MAX_TEXT}, "the request body", '{"ping": true}'),
    "follow_redirects": Option(_BOOL, "follow redirects (default true)", True),
    "contains": Option({**_TEXT, "maxLength": 1000}, "the answer must contain this text", "ok"),
    "not_contains": Option(
        {**_TEXT, "maxLength": 1000}, "the answer must not contain this text", "error"
    ),
    "regex": Option(
        {**_TEXT, "maxLength": 500},
        "the answer must match this regular expression (Python syntax)",
        r"version \d+",
    ),
    "json_path": Option(
        {**_TEXT, "maxLength": 500}, "a value in the JSON answer, $.a.b[0] form", "$.status"
    ),
    "json_expected": Option({}, "the value json_path must hold (any JSON)", "ok"),
    "basic_auth": Option(
        {
            "type": "object",
            "properties": {"username": _TEXT, "password": _TEXT},
            "required": ["username"],
            "additionalProperties": False,
        },
        "HTTP basic authentication (the password is masked when read)",
        {"username": "monitor", "password": "secret"},
    ),
    "cert_warn_days": _WARN_DAYS,
}

OPTIONS: dict[str, dict[str, Option]] = {
    "http": _common_options("http") | _TLS_OPTIONS | _HTTP_OPTIONS,
    "tcp": _common_options("tcp"),
    "tls": _common_options("tls")
    | _TLS_OPTIONS
    | {
        "server_name": Option(
            {**_TEXT, "maxLength": 253},
            "the SNI name to send (default: the URL's host)",
            "example.com",
        ),
        "warn_days": _WARN_DAYS,
        "cert_warn_days": Option(_WARN_DAYS.schema, "another name of warn_days", 14),
    },
    "ping": _common_options("ping")
    | {"count": Option(_integer(1, 10), "echo requests sent (default 3)", 3)},
    "dns": _common_options("dns")
    | {
        "name": Option(
            {**_TEXT, "maxLength": 253}, "the name to look up", "example.com", required=True
        ),
        "record_type": Option({"enum": list(DNS_TYPES)}, "the record type (default A)", "A"),
        "expected": Option(
            {"type": "array", "items": _TEXT, "maxItems": 50},
            "records the answer must hold",
            ["93.184.215.14"],
        ),
        "tcp": Option(_BOOL, "ask over TCP instead of UDP (default false)", False),
    },
    "smtp": _common_options("smtp")
    | _TLS_OPTIONS
    | {
        "starttls": Option(_BOOL, "upgrade with STARTTLS (smtp://; default false)", False),
        "banner_contains": Option(
            {**_TEXT, "maxLength": 200}, "the greeting must contain this text", "ESMTP"
        ),
    },
    **{kind: _common_options(kind) for kind in ("redis", "postgres", "mysql", "rabbitmq")},
}
