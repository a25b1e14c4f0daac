"""The account as a file that apply takes back unchanged (a round trip plans nothing)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from shared import alert_rules, channel_kinds
from shared.ascode_format import KINDS, SECTIONS
from shared.ascode_state import MASK, Account, Current

_NOT_KEY = re.compile(r"[^a-z0-9_.-]+")


def _new_key(current: Current, taken: set[str]) -> str:
    name = current.view.get("name") or current.view.get("slug") or current.view.get("title")
    base = _NOT_KEY.sub("-", str(name).lower()).strip("-.")[:80] or current.kind
    key = base if base[0].isalnum() else f"k{base}"
    if key in taken:
        key = f"{key}-{current.id}"
    taken.add(key)
    return key


def _env_name(key: str, field: str) -> str:
    return "VIGIL_SECRET_" + re.sub(r"[^A-Z0-9]+", "_", f"{key}_{field}".upper())


def _test(view: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in view.items() if v is not None}
    if out.get(alert_rules.FIELD) is None:
        out.pop(alert_rules.FIELD, None)
    return out


def _item(current: Current, key: str, keys: dict[str, dict[int, str]]) -> dict[str, Any]:
    item: dict[str, Any] = {"key": key}
    if current.key is None:
        item["id"] = current.id  # made in the UI: apply takes it over, it does not copy it
    view = dict(current.view)
    if current.kind == "monitor":
        view["tests"] = [_test(t) for t in view["tests"]]
    if current.kind == "channel":
        view["config"] = _channel_config(view, key)
    if current.kind == "status_page":  # a monitor without a target of its own: said once
        view["monitors"] = [
            {k: v for k, v in e.items() if k != "sla_target" or v is not None}
            for e in view["monitors"]
        ]
    if current.kind == "maintenance":
        view = {k: v for k, v in view.items() if v is not None}
    return {**item, **view}


def _channel_config(view: dict[str, Any], key: str) -> dict[str, Any]:
    config = dict(view["config"])
    for name in channel_kinds.SECRETS.get(view["kind"], ()):
        if config.get(name) == MASK:
            config[name] = {"env": _env_name(key, f"config_{name}")}
    return config


def _rekey(view: dict[str, Any], renamed: dict[str, dict[str, str]]) -> None:
    # References to objects made in the UI read "#id" until the export names them.
    def fix(kind: str, ref: str) -> str:
        return renamed[kind].get(ref, ref)

    if "monitors" in view and view["monitors"] and isinstance(view["monitors"][0], str):
        view["monitors"] = sorted(fix("monitor", m) for m in view["monitors"])
    elif "monitors" in view:
        view["monitors"] = [
            {**e, "monitor": fix("monitor", e["monitor"])} for e in view["monitors"]
        ]
    for ref in ("monitor", "status_page"):
        if ref in view:
            view[ref] = fix(ref, view[ref])


def document(account: Account) -> dict[str, Any]:
    """Every object of the account, under its key (a new key for those the UI made)."""
    renamed: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
    keyed: dict[str, list[tuple[Current, str]]] = {kind: [] for kind in KINDS}
    for kind in KINDS:
        taken = {o.key for o in account.objects[kind] if o.key}
        for current in account.objects[kind]:
            key = current.key or _new_key(current, taken)
            renamed[kind][f"#{current.id}"] = key
            keyed[kind].append((current, key))
    out: dict[str, Any] = {"version": 1}
    for kind in KINDS:
        items = []
        for current, key in keyed[kind]:
            item = _item(current, key, account.keys)
            _rekey(item, renamed)
            items.append(item)
        if items:
            out[SECTIONS[kind]] = items
    return out


def dump(doc: dict[str, Any], schema_url: str) -> str:
    """YAML with the modeline that points editors (YAML language servers) at the schema."""
    head = f"# yaml-language-server: $schema={schema_url}\n"
    return head + str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
