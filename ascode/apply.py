"""The plan carried out through the API, step by step, with a record of what was done: a
failure half-way says what was applied, and a re-run (which plans again) converges."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ascode.client import Api, ApiError
from ascode.plan import Step
from shared.ascode_format import KINDS
from shared.ascode_state import Account

PATHS = {
    "monitor": "/monitors",
    "channel": "/notification-channels",
    "status_page": "/status-pages",
    "maintenance": "/maintenance-windows",
}


@dataclass
class Outcome:
    done: list[Step] = field(default_factory=list)
    failed: Step | None = None
    error: str | None = None


class Ids:
    """Object ids by kind and key: those of the account, then those apply creates."""

    def __init__(self, account: Account) -> None:
        self.ids = {kind: {key: o.id for key, o in account.managed(kind).items()} for kind in KINDS}

    def __call__(self, kind: str, key: str) -> int:
        return self.ids[kind][key]


def _body(step: Step, ids: Ids) -> dict[str, Any]:
    assert step.obj is not None
    body = {k: v for k, v in step.obj.body.items() if k not in ("key", "id")}
    if step.kind == "channel":
        body.pop("monitors", None)
    if step.kind == "status_page":
        body.pop("monitors", None)
    if step.kind == "maintenance":
        for ref in ("monitor", "status_page"):
            if ref in body:
                body[f"{ref}_id"] = ids(ref, body.pop(ref))
    return body


def _patch(step: Step, body: dict[str, Any]) -> dict[str, Any]:
    changed = {c.field.split(".")[0] for c in step.changes}
    patch = {k: v for k, v in body.items() if k in changed}
    if step.kind == "channel":
        patch.pop("kind", None)  # a channel's kind stays; the schema keeps it in the file
    if step.kind == "maintenance":
        patch.pop("monitor_id", None)
        patch.pop("status_page_id", None)
    return patch


def _add_test(api: Api, base: str, test: dict[str, Any]) -> None:
    made = api.call("POST", base, _creatable(test))
    _pause(api, base, made, test)


def _creatable(test: dict[str, Any]) -> dict[str, Any]:
    # The API takes `enabled` only on a change: a test is created running, then paused.
    return {k: v for k, v in test.items() if k != "enabled"}


def _pause(api: Api, base: str, made: dict[str, Any], test: dict[str, Any]) -> None:
    if test.get("enabled") is False:
        api.call("PATCH", f"{base}/{made['id']}", {"enabled": False})


def _tests(api: Api, step: Step, monitor_id: int) -> None:
    base = f"/monitors/{monitor_id}/tests"
    for op in step.tests:
        if op.action == "delete":
            api.call("DELETE", f"{base}/{op.test_id}")
        elif op.action == "create":
            _add_test(api, base, op.body)
        else:
            api.call("PATCH", f"{base}/{op.test_id}", op.body)


def _links(api: Api, step: Step, object_id: int, ids: Ids) -> None:
    assert step.obj is not None
    want = set(step.obj.body.get("monitors") or [])
    have = set(step.current.view["monitors"]) if step.current else set()
    base = f"/notification-channels/{object_id}/monitors"
    for key in sorted(want - have):
        api.call("POST", base, {"monitor_id": ids("monitor", key)})
    for key in sorted(k for k in have - want if not k.startswith("#")):  # UI links stay
        api.call("DELETE", f"{base}/{ids('monitor', key)}")


def _entries(api: Api, step: Step, page_id: int, ids: Ids) -> None:
    assert step.obj is not None
    want = {e["monitor"]: e for e in step.obj.body.get("monitors") or []}
    have = {e["monitor"]: e for e in step.current.view["monitors"]} if step.current else {}
    base = f"/status-pages/{page_id}/monitors"
    for key, entry in want.items():
        fields = {
            "group": entry.get("group"),
            "position": entry.get("position", 0),
            "sla_target": entry.get("sla_target"),
        }
        if key not in have:
            api.call("POST", base, {"monitor_id": ids("monitor", key), **fields})
        elif any(have[key].get(name) != value for name, value in fields.items()):
            api.call("PATCH", f"{base}/{ids('monitor', key)}", fields)
    for key in have:
        if key not in want and not key.startswith("#"):
            api.call("DELETE", f"{base}/{ids('monitor', key)}")


def create_body(step: Step, ids: Ids) -> dict[str, Any]:
    """What the create of this step sends (`ascode.preflight` asks the API about it first)."""
    body = _body(step, ids)
    if step.kind == "monitor":
        body["tests"] = [_creatable(t) for t in body["tests"]]
    return body


def _create(api: Api, step: Step, ids: Ids) -> int:
    assert step.obj is not None  # the plan makes a create step only for an object in the files
    made = api.call("POST", PATHS[step.kind], create_body(step, ids))
    # Bound at once: an object apply made is never left unlabelled for long.
    api.call("PUT", f"/managed/{step.kind}/{step.key}", {"object_id": made["id"]})
    if step.kind == "monitor":
        base = f"/monitors/{made['id']}/tests"
        for test, out in zip(step.obj.body["tests"], made["tests"], strict=True):
            _pause(api, base, out, test)
    return int(made["id"])


def _update(api: Api, step: Step, ids: Ids) -> int:
    assert step.current is not None
    object_id = step.current.id
    if step.action == "adopt":
        api.call("PUT", f"/managed/{step.kind}/{step.key}", {"object_id": object_id})
    patch = _patch(step, _body(step, ids))
    if step.kind == "monitor":
        patch = {"name": patch["name"]} if "name" in patch else {}
        _tests(api, step, object_id)
    if patch:
        api.call("PATCH", f"{PATHS[step.kind]}/{object_id}", patch)
    return object_id


def _run(api: Api, step: Step, ids: Ids) -> None:
    if step.action == "delete":
        assert step.current is not None
        api.call("DELETE", f"{PATHS[step.kind]}/{step.current.id}")
        api.call("DELETE", f"/managed/{step.kind}/{step.key}")
        return
    object_id = _create(api, step, ids) if step.action == "create" else _update(api, step, ids)
    ids.ids[step.kind][step.key] = object_id
    if step.kind == "channel":
        _links(api, step, object_id, ids)
    if step.kind == "status_page":
        _entries(api, step, object_id, ids)


def run(api: Api, steps: list[Step], account: Account) -> Outcome:
    """Each step in order; at the first refusal, stop and say what was done."""
    ids, outcome = Ids(account), Outcome()
    for step in steps:
        try:
            _run(api, step, ids)
        except ApiError as exc:
            outcome.failed, outcome.error = step, str(exc)
            return outcome
        outcome.done.append(step)
    return outcome
