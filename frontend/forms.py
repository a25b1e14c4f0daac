"""The monitor and test forms: what the user typed, turned into API bodies, and the API's
422 errors put back beside the fields they are about."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from shared.checkspec import SCHEMES
from shared.messages import CHECK_KINDS

HEARTBEAT = "heartbeat"  # a test its job calls (shared.heartbeat.KIND)
KINDS = (*CHECK_KINDS, HEARTBEAT)
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
TEST_FIELDS = ("kind", "url", "method", "expected_status", "interval_s", "timeout_s", "region",
               "grace_s", "cron", "tz")
NAME_MAX = 200
URL_MAX = 2048
GENERAL = "__all__"  # errors that belong to no one field


def placeholder(kind: str) -> str:
    """An example target for the kind, e.g. tcp://db.example.com:5432."""
    scheme = next(iter(SCHEMES.get(kind, {"https": 0})))
    return f"{'https' if kind == 'http' else scheme}://example.com"


@dataclass
class Form:
    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    @property
    def ok(self) -> bool:
        return not self.errors


def read(form: Any, names: tuple[str, ...], defaults: dict[str, str]) -> Form:
    """The posted fields as text, trimmed and bounded; absent ones take their default."""
    values = {n: str(form.get(n, defaults.get(n, ""))).strip()[:URL_MAX] for n in names}
    return Form(values)


def ident(text: str) -> int | None:
    """An id typed or chosen in a form: ASCII digits only ("٣" is a digit to str.isdigit)."""
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None


def test_defaults() -> dict[str, str]:
    return {"kind": "http", "url": "", "method": "GET", "expected_status": "200",
            "interval_s": "60", "timeout_s": "10", "region": "", "grace_s": "3600", "cron": "",
            "tz": "UTC"}


def test_values(test: dict[str, Any]) -> dict[str, str]:
    """A stored test as form text, for the edit form."""
    config = test.get("config") if isinstance(test.get("config"), dict) else {}
    statuses = config.get("expected_status") or [200]
    statuses = statuses if isinstance(statuses, list) else [statuses]
    return {
        "kind": str(test.get("kind", "http")),
        "url": str(config.get("url", "")),
        "method": str(config.get("method", "GET")),
        "expected_status": ", ".join(str(s) for s in statuses),
        "interval_s": str(test.get("interval_s", 60)),
        "timeout_s": _number_text(test.get("timeout_s", 10)),
        "region": str(test.get("region") or ""),
        "grace_s": str(config.get("grace_s", 3600)),
        "cron": str(config.get("cron") or ""),
        "tz": str(config.get("tz") or "UTC"),
    }


def _number_text(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def test_body(form: Form, editing: bool = False) -> dict[str, Any]:
    """The API body for the test part of the form; parse errors land on the form.

    The kind cannot change once a test exists (the API's patch has no kind)."""
    v = form.values
    body: dict[str, Any] = {}
    if not editing:
        if v["kind"] not in KINDS:
            form.add("kind", _("Choose one of the offered kinds."))
        body["kind"] = v["kind"]
    if v.get("kind") == HEARTBEAT:
        return _heartbeat_body(form, editing)
    if not v["url"]:
        form.add("url", _("This field is required."))
    body["url"] = v["url"]
    if v.get("kind", "http") == "http":
        if v["method"] not in METHODS:
            form.add("method", _("Choose one of the offered methods."))
        body["method"] = v["method"]
        body["expected_status"] = _statuses(form, v["expected_status"])
    body["interval_s"] = _integer(form, "interval_s", v["interval_s"])
    body["timeout_s"] = _decimal(form, "timeout_s", v["timeout_s"])
    if v["region"]:
        body["region"] = v["region"]
    return body


def _heartbeat_body(form: Form, editing: bool) -> dict[str, Any]:
    """A heartbeat's schedule: a cron expression in a time zone, or else a period; grace."""
    v = form.values
    body: dict[str, Any] = {} if editing else {"kind": HEARTBEAT}
    body["grace_s"] = _integer(form, "grace_s", v["grace_s"])
    body["cron"] = v["cron"] or None
    body["tz"] = v["tz"] or "UTC"
    body["interval_s"] = _integer(form, "interval_s", v["interval_s"])
    return body


def _integer(form: Form, name: str, text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        form.add(name, _("Enter a whole number."))
        return None


def _decimal(form: Form, name: str, text: str) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):  # NaN or infinite
        form.add(name, _("Enter a number."))
        return None
    return value


def _statuses(form: Form, text: str) -> list[int] | None:
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        codes = [int(p) for p in parts]
    except ValueError:
        codes = []
    if not codes:
        form.add("expected_status",
                 _("Enter HTTP status codes separated by commas, e.g. 200, 204."))
        return None
    return codes


def api_errors(form: Form, errors: list[dict[str, Any]], fields: tuple[str, ...]) -> None:
    """Put each of the API's 422 errors beside the field its `loc` names.

    A loc is like ["body", "tests", 0, "url"]: the last name that is a form field wins;
    an error on anything else (the body as a whole) is shown above the form.
    """
    if not errors:
        form.add(GENERAL, _("The monitoring service did not accept this form."))
    for error in errors:
        names = [p for p in error["loc"] if isinstance(p, str)]
        target = next((n for n in reversed(names) if n in fields), GENERAL)
        form.add(target, message(error))


def message(error: dict[str, Any]) -> str:
    """The API's error in the user's language where we know its type, else its own text."""
    kind = error.get("type")
    ctx = error.get("ctx") if isinstance(error.get("ctx"), dict) else {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "greater_than_equal" and "ge" in ctx:
        return _("Must be at least %(limit)s.", limit=ctx["ge"])
    if kind == "less_than_equal" and "le" in ctx:
        return _("Must be at most %(limit)s.", limit=ctx["le"])
    if kind == "greater_than" and "gt" in ctx:
        return _("Must be more than %(limit)s.", limit=ctx["gt"])
    if kind == "string_too_long" and "max_length" in ctx:
        return _("At most %(limit)s characters.", limit=ctx["max_length"])
    if kind == "private_target":
        return _("Private, local and reserved addresses cannot be monitored.")
    text = str(error["msg"])
    return text.removeprefix("Value error, ")
