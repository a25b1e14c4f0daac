"""A test's alert rule: when its failures open an incident, and when it resolves.

One validator for the API (which stores the rule a user writes) and the result processor
(which runs it), so a rule the API accepted is the rule the processor applies. The form a
user writes and the API stores:

    {"retries": 1, "regions": 2, "recover_after": 2,
     "threshold": {"max_failures": 5, "window_s": 300}}      # or "max_5xx", or both

Rows written before the API took rules hold the flat form (`window_s`, `max_failures` and
`max_5xx` beside `retries`); `from_data` reads both. A RuleError's text starts with the
field it is about, as a path ("alert_rule.threshold.window_s: ..."), and `field` holds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FIELD = "alert_rule"
# name -> (lowest, highest, description); the API's schema is generated from this table.
LIMITS: dict[str, tuple[int, int, str]] = {
    "retries": (
        0,
        10,
        "failed results in a row a region needs beyond the first before it confirms a failure",
    ),
    "regions": (
        1,
        50,
        "regions that must confirm a failure before an incident opens "
        "(capped at the regions the test runs in)",
    ),
    "recover_after": (1, 10, "successes in a row, in every region, before an incident resolves"),
}
THRESHOLD: dict[str, tuple[int, int, str]] = {
    "max_failures": (
        0,
        100_000,
        "a DEGRADED incident opens with more failures than this within window_s",
    ),
    "max_5xx": (
        1,
        100_000,
        "a DEGRADED incident opens with at least this many 5xx answers within window_s",
    ),
    "window_s": (10, 86_400, "the seconds the threshold counts over"),
}
_FLAT = ("max_failures", "max_5xx", "window_s")


class RuleError(ValueError):
    """An alert rule is not usable; the text (and `field`) says which field."""

    def __init__(self, field: str, why: str) -> None:
        super().__init__(f"{field}: {why}")
        self.field = field
        self.why = why


@dataclass(frozen=True)
class Rule:
    retries: int = 1
    regions: int = 2
    window_s: int = 300
    max_failures: int | None = None
    max_5xx: int | None = None
    recover_after: int = 2  # successes in a row, per region, before an incident resolves

    @classmethod
    def from_data(cls, data: Any) -> Rule:
        """A rule from the JSON a user wrote or a test row holds; None means the defaults."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise RuleError(FIELD, "expected an object")
        values = _whole_numbers(data, LIMITS, FIELD, extra=("threshold", *_FLAT))
        threshold = data.get("threshold")
        if threshold is not None:
            if any(data.get(name) is not None for name in _FLAT):
                raise RuleError(f"{FIELD}.threshold", "give the threshold here or flat, not both")
            values |= _threshold(threshold)
        else:  # the flat form of older rows
            values |= _whole_numbers({k: data[k] for k in _FLAT if k in data}, THRESHOLD, FIELD)
        return cls(**values)

    def to_data(self) -> dict[str, Any]:
        """The form a user writes and the API stores (and answers)."""
        out: dict[str, Any] = {
            "retries": self.retries,
            "regions": self.regions,
            "recover_after": self.recover_after,
        }
        if self.max_failures is not None or self.max_5xx is not None:
            out["threshold"] = {
                k: v
                for k, v in (
                    ("max_failures", self.max_failures),
                    ("max_5xx", self.max_5xx),
                    ("window_s", self.window_s),
                )
                if v is not None
            }
        return out


def _threshold(data: Any) -> dict[str, Any]:
    where = f"{FIELD}.threshold"
    if not isinstance(data, Mapping):
        raise RuleError(where, "expected an object")
    values = _whole_numbers(data, THRESHOLD, where)
    if values.get("max_failures") is None and values.get("max_5xx") is None:
        raise RuleError(where, "needs max_failures or max_5xx")
    return values


def _whole_numbers(
    data: Mapping[str, Any],
    limits: dict[str, tuple[int, int, str]],
    where: str,
    extra: tuple[str, ...] = (),
) -> dict[str, Any]:
    unknown = sorted(str(k) for k in set(data) - set(limits) - set(extra))
    if unknown:
        raise RuleError(f"{where}.{unknown[0]}", "unknown field")
    values: dict[str, Any] = {}
    for name, (low, high, _why) in limits.items():
        value = data.get(name)
        if value is None:
            if name in data and name not in ("max_failures", "max_5xx"):
                raise RuleError(f"{where}.{name}", f"expected a whole number {low}-{high}")
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise RuleError(f"{where}.{name}", f"expected a whole number {low}-{high}")
        values[name] = value
    return values


def json_schema() -> dict[str, Any]:
    """The rule's JSON schema, from the tables above (the API's OpenAPI shows it)."""

    def numbers(table: dict[str, tuple[int, int, str]]) -> dict[str, Any]:
        return {
            name: {"type": "integer", "minimum": low, "maximum": high, "description": why}
            for name, (low, high, why) in table.items()
        }

    return {
        "type": "object",
        "additionalProperties": False,
        "description": "when failures open an incident and when it resolves; null: defaults "
        "(retries 1, regions 2, recover_after 2, no threshold)",
        "properties": numbers(LIMITS)
        | {
            "threshold": {
                "type": "object",
                "additionalProperties": False,
                "properties": numbers(THRESHOLD),
                "description": "a DEGRADED incident on a count of failures in a window",
            }
        },
        "examples": [
            {
                "retries": 2,
                "regions": 1,
                "recover_after": 2,
                "threshold": {"max_5xx": 3, "window_s": 300},
            }
        ],
    }
