"""Rules on a test the schema cannot judge, reported like pydantic's own errors: its kind's
own fields (by the kind's validator, the one the executor or processor runs it with), its
alert rule (by shared.alert_rules, the processor's), and what depends on the cell's
settings. They run in the route and raise the same RequestValidationError, giving the same
422 with a `loc` that names the field (`alert_rule.threshold.window_s` is the loc
["alert_rule", "threshold", "window_s"]).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from api.schemas import TestIn
from api.targets import is_private, url_host
from shared.alert_rules import Rule, RuleError
from shared.config import Settings

Loc = tuple[str | int, ...]


def _error(loc: Loc, kind: str, msg: str, value: Any, ctx: dict[str, Any] | None = None) -> dict:
    error = {"type": kind, "loc": loc, "msg": msg, "input": value}
    if ctx:
        error["ctx"] = ctx
    return error


def rule_errors(
    test: TestIn, settings: Settings, loc: Loc, min_interval: int | None = None
) -> list[dict]:
    """What is wrong with one test under these settings; loc is where the test sits.

    `min_interval` is the account's own minimum when the operator set one.
    """
    errors = kind_errors(test, loc)
    if test.is_heartbeat:
        return errors  # no region runs it: no interval floor, no target
    floor = settings.min_interval_s if min_interval is None else min_interval
    if test.interval_s < floor:
        errors.append(
            _error(
                (*loc, "interval_s"),
                "greater_than_equal",
                f"Input should be greater than or equal to {floor}",
                test.interval_s,
                {"ge": floor},
            )
        )
    if (
        not settings.allow_private_targets
        and test.url is not None
        and is_private(url_host(test.url))
    ):
        errors.append(
            _error(
                (*loc, "url"),
                "private_target",
                "must not target a loopback, private, link-local or reserved address",
                test.url,
            )
        )
    return errors


def kind_errors(test: TestIn, loc: Loc) -> list[dict]:
    """What the kind's validator and the alert rule's refuse (each stops at its first)."""
    errors = []
    try:
        test.config()
    except ValueError as exc:
        field, _, why = str(exc).partition(": ")
        errors.append(
            _error(
                (*loc, field),
                "value_error",
                why,
                test.options.get(field, test.url if field == "url" else None),
            )
        )
    try:
        Rule.from_data(test.alert_rule)
    except RuleError as exc:
        errors.append(_error((*loc, *exc.field.split(".")), "value_error", exc.why, None))
    return errors


def check_tests(
    tests: Sequence[TestIn], settings: Settings, loc: Loc, min_interval: int | None = None
) -> None:
    """Raise a 422 for every test breaking a settings rule; loc is where the list sits."""
    errors = [
        e
        for i, test in enumerate(tests)
        for e in rule_errors(test, settings, (*loc, i), min_interval)
    ]
    if errors:
        raise RequestValidationError(errors)


def check_test(test: TestIn, settings: Settings, loc: Loc, min_interval: int | None = None) -> None:
    """Raise a 422 if this one test breaks a settings rule; loc is where it sits."""
    errors = rule_errors(test, settings, loc, min_interval)
    if errors:
        raise RequestValidationError(errors)


def relocated(exc: ValidationError, loc: Loc) -> RequestValidationError:
    """A pydantic error of a body part validated by hand, placed where that part sits."""
    return RequestValidationError(
        [{**error, "loc": (*loc, *error["loc"])} for error in exc.errors()]
    )
