"""What apply would change: the files against the account, field by field. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ascode.validate import Desired, Obj
from shared import alert_rules, names
from shared.ascode_format import KINDS
from shared.ascode_state import MASK, Account, Current, page_entries, rule

DEFAULTS: dict[str, dict[str, Any]] = {
    "channel": {"enabled": True, "monitors": []},
    "status_page": {
        "language": "en",
        "groups": [],
        "monitors": [],
        "logo_url": None,
        "history_days": names.DEFAULT_HISTORY_DAYS,
        "sla_target": None,
        "accent_color": None,
        "footer_links": [],
        "favicon_url": None,
    },
}


@dataclass
class Change:
    field: str
    old: Any
    new: Any


@dataclass
class TestOp:
    """A test of a monitor to create, update (its changed fields) or delete."""

    action: str
    index: int
    test_id: int | None = None
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class Step:
    action: str  # create | update | adopt | delete
    kind: str
    key: str
    changes: list[Change] = field(default_factory=list)
    obj: Obj | None = None
    current: Current | None = None
    tests: list[TestOp] = field(default_factory=list)


def _when(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def same(want: Any, have: Any) -> bool:
    """Equal, counting a masked secret as equal: the API never answers it to compare."""
    if have == MASK or (isinstance(have, str) and MASK in have and isinstance(want, str)):
        return True
    if isinstance(want, dict) and isinstance(have, dict):
        return want.keys() == have.keys() and all(same(v, have[k]) for k, v in want.items())
    if isinstance(want, list) and isinstance(have, list):
        return len(want) == len(have) and all(same(w, h) for w, h in zip(want, have, strict=True))
    return bool(_when(want) == _when(have)) if want != have else True


def _fields(want: dict[str, Any], have: dict[str, Any], prefix: str = "") -> list[Change]:
    return [
        Change(prefix + name, have.get(name), value)
        for name, value in want.items()
        if not same(value, have.get(name))
    ]


def _test_ops(
    want: list[dict[str, Any]], current: Current | None
) -> tuple[list[TestOp], list[Change]]:
    have = current.view["tests"] if current else []
    ids = [t["id"] for t in current.raw["tests"]] if current else []
    ops, changes = [], []
    for i, test in enumerate(want):
        if i >= len(have) or have[i]["kind"] != test["kind"]:
            if i < len(have):
                ops.append(TestOp("delete", i, ids[i]))
            ops.append(TestOp("create", i, body=test))
            changes.append(Change(f"tests.{i}", have[i] if i < len(have) else None, test))
            continue
        normal = (
            {**test, alert_rules.FIELD: rule(test.get(alert_rules.FIELD))}
            if alert_rules.FIELD in test
            else test
        )
        diff = _fields(normal, have[i], f"tests.{i}.")
        if diff:
            ops.append(
                TestOp(
                    "update",
                    i,
                    ids[i],
                    {c.field.split(".", 2)[2]: test[c.field.split(".", 2)[2]] for c in diff},
                )
            )
            changes += diff
    for i in range(len(want), len(have)):
        ops.append(TestOp("delete", i, ids[i]))
        changes.append(Change(f"tests.{i}", have[i], None))
    return ops, changes


def _want(obj: Obj) -> dict[str, Any]:
    body = {k: v for k, v in obj.body.items() if k not in ("key", "id")}
    return {**DEFAULTS.get(obj.kind, {}), **body}


def _step(obj: Obj, current: Current | None, action: str) -> Step | None:
    want = _want(obj)
    step = Step(action, obj.kind, obj.key, obj=obj, current=current)
    if obj.kind == "monitor":
        step.tests, step.changes = _test_ops(want.pop("tests"), current)
    if obj.kind == "channel":
        want["monitors"] = sorted(want["monitors"])
        config = want.pop("config")
        step.changes += _fields(config, current.view["config"] if current else {}, "config.")
    if obj.kind == "status_page":
        want["monitors"] = page_entries(want["monitors"])
        if isinstance(want["accent_color"], str):  # the API keeps it lower-case
            want["accent_color"] = want["accent_color"].lower()
    step.changes += _fields(want, current.view if current else {})
    if action == "update" and not step.changes:
        return None
    return step


def plan(desired: Desired, account: Account, prune: bool) -> list[Step]:
    """The steps, creations and updates in dependency order, then deletions in reverse."""
    steps: list[Step] = []
    for kind in KINDS:
        managed = account.managed(kind)
        by_id = {o.id: o for o in account.objects[kind] if o.key is None}
        for key, obj in desired[kind].items():
            if key in managed:
                step = _step(obj, managed[key], "update")
            elif obj.body.get("id") in by_id:
                step = _step(obj, by_id[obj.body["id"]], "adopt")
            else:
                step = _step(obj, None, "create")
            if step:
                steps.append(step)
    if prune:
        for kind in reversed(KINDS):
            for key, current in account.managed(kind).items():
                if key not in desired[kind]:
                    steps.append(Step("delete", kind, key, current=current))
    return steps
