"""The monitor and test forms: what the user typed, turned into API bodies, and the API's
422 errors put back beside the fields they are about."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from frontend import kinds, shapes
from shared import checkspec
from shared.messages import CHECK_KINDS

HEARTBEAT = "heartbeat"  # a test its job calls (shared.heartbeat.KIND)
KINDS = (*CHECK_KINDS, HEARTBEAT)
METHODS = checkspec.HTTP_METHODS
GENERAL_FIELDS = ("kind", "url", "interval_s", "timeout_s", "region", "grace_s", "cron", "tz")
# The alert rule's own section (result_processor/alerting.Rule): "rule.<name>" in the form.
RULE_FIELDS = (
    "rule.retries",
    "rule.regions",
    "rule.recover_after",
    "rule.threshold",
    "rule.limit",
    "rule.window_s",
)
THRESHOLDS = ("max_failures", "max_5xx")
KIND_FIELDS = tuple(
    key
    for kind in CHECK_KINDS
    for f in kinds.fields(kind)
    for key in ((f.key, f"{f.key}.password") if f.widget == "auth" else (f.key,))
)
TEST_FIELDS = (*GENERAL_FIELDS, *KIND_FIELDS, *RULE_FIELDS)
NAME_MAX = 200
URL_MAX = 2048
TEXT_MAX = checkspec.MAX_TEXT
GENERAL = "__all__"  # errors that belong to no one field
SHOWN = "shown"  # "<kind>.shown" is posted with a kind's section (disabled ones post nothing)


def placeholder(kind: str) -> str:
    """An example target for the kind, e.g. tcp://db.example.com:5432."""
    return kinds.placeholder(kind)


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
    """The posted fields as text, trimmed and bounded; absent ones take their default.

    A checkbox that is not ticked is not posted at all: on a POST it is off, whatever its
    default."""
    values = {}
    for n in names:
        bounded = TEXT_MAX if n in KIND_FIELDS else URL_MAX
        fallback = "" if _unticked(form, n) else defaults.get(n, "")
        values[n] = str(form.get(n, fallback)).strip()[:bounded]
    return Form(values)


def _unticked(form: Any, key: str) -> bool:
    """A checkbox of a kind section that was on the page (its `shown` marker came back),
    and is absent: unticked. A section switched to without a script takes its defaults."""
    kind, _, name = key.partition(".")
    return f"{kind}.{SHOWN}" in form and any(
        f.name == name and f.widget == "bool" for f in kinds.fields(kind)
    )


def ident(text: str) -> int | None:
    """An id typed or chosen in a form: ASCII digits only ("٣" is a digit to str.isdigit)."""
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None


def test_defaults(kind: str = "http") -> dict[str, str]:
    values = {
        "kind": kind,
        "url": "",
        "interval_s": "60",
        "timeout_s": "10",
        "region": "",
        "grace_s": "3600",
        "cron": "",
        "tz": "UTC",
    }
    for k in CHECK_KINDS:
        for f in kinds.fields(k):
            values[f.key] = kinds.as_text(f, f.default)
    return values | {key: "" for key in RULE_FIELDS}


def test_values(test: dict[str, Any]) -> dict[str, str]:
    """A stored test as form text, for the edit form."""
    config = shapes.as_dict(test.get("config"))
    kind = str(test.get("kind", "http"))
    values = test_defaults(kind) | {
        "url": str(config.get("url", "")),
        "interval_s": str(test.get("interval_s", 60)),
        "timeout_s": _number_text(test.get("timeout_s", 10)),
        "region": str(test.get("region") or ""),
        "grace_s": str(config.get("grace_s", 3600)),
        "cron": str(config.get("cron") or ""),
        "tz": str(config.get("tz") or "UTC"),
    }
    for f in kinds.fields(kind):
        if f.name in config:
            values[f.key] = kinds.as_text(f, config[f.name])
    return values | _rule_values(test.get("alert_rule"))


def _rule_values(rule: Any) -> dict[str, str]:
    if not isinstance(rule, dict):
        return {}
    values = {
        f"rule.{n}": str(rule[n])
        for n in ("retries", "regions", "recover_after")
        if rule.get(n) is not None
    }
    threshold = shapes.as_dict(rule.get("threshold"))
    for name in THRESHOLDS:
        if threshold.get(name) is not None:
            values |= {
                "rule.threshold": name,
                "rule.limit": str(threshold[name]),
                "rule.window_s": str(threshold.get("window_s") or ""),
            }
    return values


def _number_text(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def test_body(
    form: Form, editing: bool = False, stored: dict[str, str] | None = None
) -> dict[str, Any]:
    """The API body for the test part of the form; parse errors land on the form.

    The kind cannot change once a test exists (the API's patch has no kind). An edit sends
    only what changed from `stored`: the API masks secrets (a password in a URL, basic
    auth, an Authorization header), and a mask sent back must not replace the secret."""
    v = form.values
    body: dict[str, Any] = {}
    if not editing:
        if v["kind"] not in KINDS:
            form.add("kind", _("Choose one of the offered kinds."))
        body["kind"] = v["kind"]
    if v.get("kind") == HEARTBEAT:
        body |= _heartbeat_body(form, editing)
    else:
        body |= _check_body(form, with_defaults=editing)
    body |= _rule_body(form)
    if editing and stored is not None:
        return _changed(body, form, stored)
    return body


def _check_body(form: Form, with_defaults: bool) -> dict[str, Any]:
    """A check's fields. A create leaves out what equals the kind's default (the API fills
    it in, and a body says only what the user chose); an edit needs them, to tell a field
    set back to its default."""
    v = form.values
    if not v["url"]:
        form.add("url", _("This field is required."))
    body: dict[str, Any] = {"url": v["url"]}
    for f in kinds.fields(v.get("kind", "http")):
        value = _kind_value(form, f)
        if value is not None and (with_defaults or value != f.default):
            body[f.name] = value
    body["interval_s"] = _integer(form, "interval_s", v["interval_s"])
    body["timeout_s"] = _decimal(form, "timeout_s", v["timeout_s"])
    if v["region"]:
        body["region"] = v["region"]
    return body


def _kind_value(form: Form, f: kinds.Field) -> Any:
    """The field typed in its widget, or None for an empty box (the kind's default)."""
    text = form.values.get(f.key, "")
    if f.widget == "bool":
        return bool(text)
    if f.widget == "auth":
        password = form.values.get(f"{f.key}.password", "")
        return {"username": text, "password": password} if text or password else None
    if not text:
        return None
    if f.widget == "choice" and text not in f.choices:
        form.add(f.key, _("Choose one of the offered values."))
    parse = _PARSERS.get(f.widget)
    return parse(form, f.key, text) if parse else text


def _lines(form: Form, key: str, text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _json(form: Form, key: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text  # compared as text, as the hint says


def _headers(form: Form, key: str, text: str) -> dict[str, str]:
    headers = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            form.add(key, _("Write each header as Name: value."))
            continue
        headers[name.strip()] = value.strip()
    return headers


def _rule_body(form: Form) -> dict[str, Any]:
    """The alert rule, when the section says anything; empty boxes keep the defaults."""
    v = form.values
    rule: dict[str, Any] = {}
    for name in ("retries", "regions", "recover_after"):
        if v.get(f"rule.{name}"):
            rule[name] = _integer(form, f"rule.{name}", v[f"rule.{name}"])
    chosen = v.get("rule.threshold", "")
    if chosen:
        if chosen not in THRESHOLDS:
            form.add("rule.threshold", _("Choose one of the offered values."))
        threshold = {chosen: _integer(form, "rule.limit", v.get("rule.limit", ""))}
        if v.get("rule.window_s"):
            threshold["window_s"] = _integer(form, "rule.window_s", v["rule.window_s"])
        rule["threshold"] = threshold
    return {"alert_rule": rule} if rule else {}


def _changed(body: dict[str, Any], form: Form, stored: dict[str, str]) -> dict[str, Any]:
    """What of `body` the user changed: a field whose boxes read as stored is left out; a box
    emptied sends null (back to the default)."""
    kind = form.values.get("kind", "http")
    keys: dict[str, tuple[str, ...]] = {name: (name,) for name in GENERAL_FIELDS}
    for f in kinds.fields(kind):
        keys[f.name] = (f.key, f"{f.key}.password") if f.widget == "auth" else (f.key,)
    keys["alert_rule"] = RULE_FIELDS
    changed: dict[str, Any] = {}
    for name, boxes in keys.items():
        if any(form.values.get(b, "") != stored.get(b, "") for b in boxes):
            if name in body or name not in GENERAL_FIELDS:
                changed[name] = body.get(name)  # an emptied kind field or rule: null
    changed.pop("kind", None)
    return changed


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


def decimal(form: Form, name: str, text: str) -> float | None:
    """The number in `text` (a comma taken as the decimal point); None, with the field
    marked, when it is none."""
    return _decimal(form, name, text)


def _decimal(form: Form, name: str, text: str) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):  # NaN or infinite
        form.add(name, _("Enter a number."))
        return None
    return value


def _statuses(form: Form, key: str, text: str) -> list[int] | None:
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        codes = [int(p) for p in parts]
    except ValueError:
        codes = []
    if not codes:
        form.add(key, _("Enter HTTP status codes separated by commas, e.g. 200, 204."))
        return None
    return codes


def api_errors(form: Form, errors: list[dict[str, Any]] | str, fields: tuple[str, ...]) -> None:
    """Put each of the API's 422 errors beside the field its `loc` names.

    A loc is like ["body", "tests", 0, "url"] or ["body", "alert_rule", "threshold",
    "window_s"]; a `detail` that is one string names its field first ("name: required", as
    checkspec words it). An error on anything else is shown above the form.
    """
    if isinstance(errors, str):
        name, colon, why = errors.partition(": ")
        named = colon and field_of(["body", name], form.values.get("kind", "")) in fields
        errors = [{"loc": ["body", name], "msg": why}] if named else []
    if not errors:
        form.add(GENERAL, _("The monitoring service did not accept this form."))
    for error in errors:
        loc = shapes.as_list(error.get("loc"))
        key = field_of(loc, form.values.get("kind", ""), monitor_form="name" in fields)
        if key not in fields:  # another form's field (a channel's, a page's): by name
            names = [p for p in loc if isinstance(p, str)]
            key = next((n for n in reversed(names) if n in fields), GENERAL)
        form.add(key, message(error))


def field_of(loc: list[Any], kind: str, monitor_form: bool = False) -> str:
    """The form field an error's loc is about, or GENERAL. In the new-monitor form a `name`
    outside `tests` is the monitor's; inside, a DNS test's."""
    names = [p for p in loc if isinstance(p, str)]
    in_test = "tests" in names
    if names and names[0] == "body":
        names = names[1:]
    if names and names[0] == "tests":
        names = names[1:]
    if len(names) > 1 and names[0] in KINDS:
        names = names[1:]  # a discriminated union's tag, as pydantic puts it in the loc
    if not names:
        return GENERAL
    head = names[0]
    if head == "alert_rule":
        return _rule_field(names[1:])
    if head == "name" and monitor_form and not in_test:
        return "name"
    if head in GENERAL_FIELDS:
        return head
    if any(f.name == head for f in kinds.fields(kind)):
        return f"{kind}.{head}"
    return GENERAL


def _rule_field(names: list[str]) -> str:
    if not names:
        return "rule.retries"
    if names[0] == "threshold":
        rest = names[1:]
        return (
            "rule.window_s"
            if rest[:1] == ["window_s"]
            else "rule.limit"
            if rest[:1] and rest[0] in THRESHOLDS
            else "rule.threshold"
        )
    return f"rule.{names[0]}" if f"rule.{names[0]}" in RULE_FIELDS else "rule.retries"


_PARSERS = {
    "int": _integer,
    "decimal": _decimal,
    "codes": _statuses,
    "lines": _lines,
    "json": _json,
    "headers": _headers,
}


def message(error: dict[str, Any]) -> str:
    """The API's error in the user's language where we know its type, else its own text."""
    kind = error.get("type")
    ctx = shapes.as_dict(error.get("ctx"))
    if kind == "missing":
        return _("This field is required.")
    if kind == "greater_than_equal" and "ge" in ctx:
        return _("Must be at least %(limit)s.", limit=ctx["ge"])
    if kind == "less_than_equal" and "le" in ctx:
        return _("Must be at most %(limit)s.", limit=ctx["le"])
    if kind == "greater_than" and "gt" in ctx:
        return _("Must be more than %(limit)s.", limit=ctx["gt"])
    if kind == "string_too_short" and "min_length" in ctx:
        return _("At least %(limit)s characters.", limit=ctx["min_length"])
    if kind == "string_too_long" and "max_length" in ctx:
        return _("At most %(limit)s characters.", limit=ctx["max_length"])
    if kind == "private_target":
        return _("Private, local and reserved addresses cannot be monitored.")
    text = str(error.get("msg", "")).removeprefix("Value error, ")
    names = [p for p in error.get("loc") or [] if isinstance(p, str)]
    # checkspec words its errors "<field>: <why>"; beside the field, the why is enough
    return text.removeprefix(f"{names[-1]}: ") if names else text
