"""The fake API's validation of a test body: the contract of issue 14, checked by the same
code the real API uses (`shared.checkspec` for a kind's fields, the shared alert
`Rule`), so the fake cannot accept what the real API refuses. tests/frontend/
test_fake_contract.py sends the same requests to both and compares the answers.

Errors are FastAPI's: a list of {type, loc, msg}, schema errors first; the settings rules
(the minimum interval, private targets) only when the schema found nothing, as the real
API's route runs them after the body parsed.
"""

from __future__ import annotations

from typing import Any

from shared import checkspec
from shared.alert_rules import Rule, RuleError
from shared.heartbeat import KIND as HEARTBEAT

MIN_INTERVAL_S = 30
GENERAL = {"kind", "url", "interval_s", "timeout_s", "region", "regions", "alert_rule", "enabled"}
HEARTBEAT_FIELDS = {"grace_s", "cron", "tz"}
THRESHOLDS = ("max_failures", "max_5xx")
Loc = list[Any]


def errors(test: Any, loc: Loc, stored: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """What is wrong with a test body (a create, or a patch of `stored`, a flat test)."""
    if not isinstance(test, dict):
        return [_error(loc, "model_type", "Input should be a valid dictionary")]
    merged = {**(stored or {}), **{k: v for k, v in test.items() if v is not None}}
    kind = merged.get("kind")
    if kind not in (*checkspec.VALIDATORS, HEARTBEAT):
        return [_error([*loc, "kind"], "value_error", "Value error, unknown kind")]
    found = _unknown(test, kind, loc) + _schedule(merged, kind, loc)
    if kind != HEARTBEAT:
        found += _kind_fields(merged, kind, loc)
    found += _rule(merged.get("alert_rule"), [*loc, "alert_rule"])
    if merged.get("region") == "nowhere":
        found.append(_error([*loc, "region"], "value_error", "Value error, no such region"))
    return found or _settings_rules(merged, kind, loc)


def _error(loc: Loc, kind: str, msg: str, ctx: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": kind, "loc": loc, "msg": msg, **({"ctx": ctx} if ctx else {})}


def kind_fields(kind: str) -> set[str]:
    minimal = {"url": f"{next(iter(checkspec.SCHEMES[kind]))}://example.com:1", "name": "x"}
    return set(checkspec.validate(kind, minimal))


def _unknown(test: dict[str, Any], kind: str, loc: Loc) -> list[dict[str, Any]]:
    known = GENERAL | (HEARTBEAT_FIELDS if kind == HEARTBEAT else kind_fields(kind))
    if kind == "tls":
        known.add("cert_warn_days")  # its other name (checkspec._warn_days)
    return [
        _error([*loc, name], "extra_forbidden", "Extra inputs are not permitted")
        for name in test
        if name not in known
    ]


def _schedule(test: dict[str, Any], kind: str, loc: Loc) -> list[dict[str, Any]]:
    interval, timeout = test.get("interval_s", 60), test.get("timeout_s", 10)
    if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
        return [_error([*loc, "interval_s"], "int_type", "Input should be a valid integer")]
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        return [_error([*loc, "timeout_s"], "float_type", "Input should be a valid number")]
    if kind != HEARTBEAT and timeout >= interval:
        return [
            _error(
                [*loc, "timeout_s"], "value_error", "Value error, must be shorter than interval_s"
            )
        ]
    return []


def _kind_fields(test: dict[str, Any], kind: str, loc: Loc) -> list[dict[str, Any]]:
    if test.get("url") is None:
        return [_error([*loc, "url"], "missing", "Field required")]
    config = {k: v for k, v in test.items() if k not in GENERAL or k == "url"}
    try:
        checkspec.validate(kind, config)
    except ValueError as exc:
        name, _, why = str(exc).partition(": ")
        return [_error([*loc, name], "value_error", f"Value error, {why}")]
    return []


def _rule(rule: Any, loc: Loc) -> list[dict[str, Any]]:
    """The alert rule, checked by the code the API and the processor share."""
    try:
        Rule.from_data(rule)
    except RuleError as exc:  # exc.field is "alert_rule.<field>[.<field>]"
        return [_error([*loc[:-1], *exc.field.split(".")], "value_error", exc.why)]
    return []


def _settings_rules(test: dict[str, Any], kind: str, loc: Loc) -> list[dict[str, Any]]:
    if kind == HEARTBEAT:
        return []
    found = []
    if test.get("interval_s", 60) < MIN_INTERVAL_S:
        found.append(
            _error(
                [*loc, "interval_s"],
                "greater_than_equal",
                f"Input should be greater than or equal to {MIN_INTERVAL_S}",
                {"ge": MIN_INTERVAL_S},
            )
        )
    host = checkspec.target(kind, test["url"]).host
    if host in ("localhost", "127.0.0.1", "::1") or host.startswith(("10.", "192.168.")):
        found.append(
            _error(
                [*loc, "url"],
                "private_target",
                "must not target a loopback, private, link-local or reserved address",
            )
        )
    return found
