"""Each check kind's own fields, as the test form shows them.

Which fields a kind has, and their defaults, come from `shared.checkspec` (the validator the
API and the executor share): `validate` of a minimal config fills in every field the kind
knows. What this module adds is presentation only: the widget a field is typed in, its label,
help text and an example target per kind. A field checkspec gains without a widget here
falls back to a plain text box (and tests/frontend/test_kinds.py fails until it has one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from flask_babel import gettext as _

from frontend import shapes
from shared import checkspec

GENERAL_FIELDS = ("url",)  # shown once for every kind, outside the kind's own section
LATER = frozenset({"retries", "degraded_ms", "verify_tls", "ca_pem"})

# The widget of each field; the field list itself is checkspec's.
WIDGETS: dict[str, str] = {
    "retries": "int",
    "degraded_ms": "decimal",
    "verify_tls": "bool",
    "ca_pem": "textarea",
    "method": "choice",
    "expected_status": "codes",
    "headers": "headers",
    "body": "textarea",
    "follow_redirects": "bool",
    "contains": "text",
    "not_contains": "text",
    "regex": "text",
    "json_path": "text",
    "json_expected": "json",
    "basic_auth": "auth",
    "cert_warn_days": "int",
    "warn_days": "int",
    "server_name": "text",
    "count": "int",
    "name": "text",
    "record_type": "choice",
    "expected": "lines",
    "tcp": "bool",
    "starttls": "bool",
    "banner_contains": "text",
}
CHOICES: dict[str, tuple[str, ...]] = {
    "method": checkspec.HTTP_METHODS,
    "record_type": checkspec.DNS_TYPES,
}
# A target a user can adapt; each parses as its kind's URL (tests/frontend/test_kinds.py).
EXAMPLES: dict[str, str] = {
    "http": "https://www.example.com/health",
    "tcp": "tcp://db.example.com:5432",
    "tls": "tls://www.example.com:443",
    "ping": "icmp://router.example.com",
    "dns": "dns://9.9.9.9",
    "smtp": "smtp://mail.example.com:25",
    "redis": "redis://cache.example.com:6379",
    "postgres": "postgresql://monitor@db.example.com:5432/app",
    "mysql": "mysql://monitor@db.example.com:3306/app",
    "rabbitmq": "amqp://monitor@mq.example.com:5672/",
}


@dataclass(frozen=True)
class Field:
    kind: str
    name: str  # as checkspec and the API name it
    widget: str
    default: Any

    @property
    def key(self) -> str:
        """The form field's name: one per kind, so every kind's section can be on the page
        at once (the DNS `name` is not the monitor's `name`)."""
        return f"{self.kind}.{self.name}"

    @property
    def choices(self) -> tuple[str, ...]:
        return CHOICES.get(self.name, ())

    @property
    def label(self) -> str:
        return labels().get(self.name, self.name)

    @property
    def hint(self) -> str:
        return hints().get(self.name, "")


@cache
def fields(kind: str) -> tuple[Field, ...]:
    """The kind's own fields in checkspec's order; () for a kind checkspec does not check
    (a heartbeat)."""
    if kind not in checkspec.VALIDATORS:
        return ()
    minimal = {"url": EXAMPLES[kind], "name": "example.com"}
    filled = checkspec.validate(kind, minimal)
    found = [
        Field(kind, name, WIDGETS.get(name, "text"), None if name in minimal else value)
        for name, value in filled.items()
        if name not in GENERAL_FIELDS
    ]
    # What every kind shares (tries, latency limit, TLS trust) after what the kind is about.
    return tuple(sorted(found, key=lambda f: f.name in LATER))


def placeholder(kind: str) -> str:
    return EXAMPLES.get(kind, "")


def as_text(field: Field, value: Any) -> str:
    """A stored (or default) value as the form shows it."""
    if value is None:
        return ""
    if field.widget == "bool":
        return "on" if value else ""
    if field.widget == "codes":
        return ", ".join(str(v) for v in (value if isinstance(value, list) else [value]))
    if field.widget == "lines":
        return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if field.widget == "headers":
        return "\n".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict) else ""
    if field.widget == "auth":
        return str(value.get("username", "")) if isinstance(value, dict) else ""
    if field.widget == "json":
        return value if isinstance(value, str) else json.dumps(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def labels() -> dict[str, str]:
    return {
        "retries": _("Tries before a failure counts"),
        "degraded_ms": _("Degraded above (ms)"),
        "verify_tls": _("Verify the certificate"),
        "ca_pem": _("Trusted CA certificates (PEM)"),
        "method": _("Method"),
        "expected_status": _("Expected status codes"),
        "headers": _("Request headers"),
        "body": _("Request body"),
        "follow_redirects": _("Follow redirects"),
        "contains": _("Answer must contain"),
        "not_contains": _("Answer must not contain"),
        "regex": _("Answer must match (regular expression)"),
        "json_path": _("JSON path"),
        "json_expected": _("Expected JSON value"),
        "basic_auth": _("Basic authentication"),
        "cert_warn_days": _("Warn days before the certificate expires"),
        "warn_days": _("Warn days before the certificate expires"),
        "server_name": _("Server name (SNI)"),
        "count": _("Pings per check"),
        "name": _("Name to look up"),
        "record_type": _("Record type"),
        "expected": _("Expected records"),
        "tcp": _("Ask over TCP"),
        "starttls": _("Use STARTTLS"),
        "banner_contains": _("Greeting must contain"),
    }


def hints() -> dict[str, str]:
    return {
        "retries": _("Tries on the node before the check fails (0-5)."),
        "degraded_ms": _("Slower answers count as degraded. Leave empty for no limit."),
        "verify_tls": _("Turn off only for self-signed certificates you trust."),
        "ca_pem": _("Certificates to trust besides the public ones."),
        "expected_status": _("Separated by commas, e.g. 200, 204."),
        "headers": _("One per line, e.g. Accept: application/json."),
        "body": _("Sent with POST, PUT and PATCH."),
        "contains": _("Text the answer must hold."),
        "not_contains": _("Text the answer must not hold, e.g. an error message."),
        "regex": _("A Python regular expression, e.g. version \\d+."),
        "json_path": _("Where the value is, e.g. $.status or $.items[0].state."),
        "json_expected": _('JSON, e.g. "ok", 42 or true; other text is compared as text.'),
        "basic_auth": _(
            "Sent as an Authorization header. On edit, type the password again to change it."
        ),
        "cert_warn_days": _("0: never warn."),
        "warn_days": _("0: never warn."),
        "server_name": _("Leave empty to use the host of the URL."),
        "count": _("1-10 pings; the check fails when all are lost."),
        "name": _("The domain name the DNS server is asked about."),
        "expected": _("One per line; the answer must hold each. Leave empty for any answer."),
        "starttls": _("Upgrade the plain connection to TLS."),
        "banner_contains": _("Text the server's greeting must hold."),
    }


def target_text(test: dict[str, Any]) -> str:
    """What a test checks, in one line: its URL (secrets masked by the API), with what the
    URL does not say (the method of an HTTP check, the name and type a DNS check asks)."""
    config = shapes.as_dict(test.get("config"))
    if test.get("kind") == "heartbeat":
        return str(test.get("ping_url") or "")
    url = shapes.as_str(config.get("url"))
    if test.get("kind") == "dns" and isinstance(config.get("name"), str):
        return f"{config['name']} {config.get('record_type') or 'A'} @ {url}"
    if test.get("kind") == "http" and config.get("method") not in (None, "GET"):
        return f"{config['method']} {url}"
    return url
