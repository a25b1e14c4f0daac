"""The account as the API answers it, in the file's own terms (references by key).

Shared by `vigil export` (ascode) and the frontend's export download: both read the API
through a Reader of their own, and write the same file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from shared import alert_rules, names
from shared.ascode_format import KINDS


class Api(Protocol):
    """What reading needs of an API client: every item of a list, page after page."""

    def all(self, path: str) -> list[dict[str, Any]]: ...


MASK = "********"  # what the API answers for a secret (api.channels.MASK)
_TEST_COMMON = ("kind", "region", "regions", "interval_s", "timeout_s", "enabled")


@dataclass
class Current:
    """One object of the account: its id, its key if a file manages it, its view."""

    kind: str
    id: int
    key: str | None
    view: dict[str, Any]
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Account:
    objects: dict[str, list[Current]]
    keys: dict[str, dict[int, str]]  # kind -> object id -> key (the managed ones)

    def managed(self, kind: str) -> dict[str, Current]:
        return {o.key: o for o in self.objects[kind] if o.key is not None}

    def key_of(self, kind: str, object_id: int | None) -> str | None:
        return None if object_id is None else self.keys[kind].get(object_id)


def rule(data: Any) -> Any:
    """An alert rule as the API stores it, so two spellings of one rule compare equal."""
    return None if data is None else alert_rules.Rule.from_data(data).to_data()


def test_view(test: dict[str, Any]) -> dict[str, Any]:
    view = {name: test[name] for name in _TEST_COMMON}
    view.update(test.get("config") or {})
    view[alert_rules.FIELD] = rule(test.get(alert_rules.FIELD))
    return view


def _monitor(item: dict[str, Any]) -> dict[str, Any]:
    return {"name": item["name"], "tests": [test_view(t) for t in item["tests"]]}


def page_entries(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A page's monitors in one order, so that equal lists compare equal."""
    full = [{"group": None, "position": 0, "sla_target": None, **e} for e in entries]
    return sorted(full, key=lambda e: (e["monitor"], e["group"] or "", e["position"]))


def _page_entries(api: Api, page_id: int, keys: dict[int, str]) -> list[dict[str, Any]]:
    entries = api.all(f"/status-pages/{page_id}/monitors")
    return page_entries(
        [
            {
                "monitor": keys.get(e["monitor_id"], f"#{e['monitor_id']}"),
                "group": e["group"],
                "position": e["position"],
                "sla_target": e.get("sla_target"),
            }
            for e in entries
        ]
    )


def read(api: Api) -> Account:
    """Everything of the account that a file can name."""
    keys: dict[str, dict[int, str]] = {kind: {} for kind in KINDS}
    for item in api.all("/managed"):
        keys[item["kind"]][item["object_id"]] = item["key"]
    mk = keys["monitor"]
    objects: dict[str, list[Current]] = {kind: [] for kind in KINDS}
    for item in api.all("/monitors"):
        objects["monitor"].append(
            Current("monitor", item["id"], mk.get(item["id"]), _monitor(item), item)
        )
    for item in api.all("/notification-channels"):
        linked = api.all(f"/notification-channels/{item['id']}/monitors")
        view = {
            "name": item["name"],
            "kind": item["kind"],
            "config": item["config"],
            "enabled": item["enabled"],
            "monitors": sorted(mk.get(m["monitor_id"], f"#{m['monitor_id']}") for m in linked),
        }
        objects["channel"].append(
            Current("channel", item["id"], keys["channel"].get(item["id"]), view, item)
        )
    for item in api.all("/status-pages"):
        view = {name: item[name] for name in ("slug", "title", "logo_url", "language", "groups")}
        view["history_days"] = item.get("history_days", names.DEFAULT_HISTORY_DAYS)
        view["sla_target"] = item.get("sla_target")
        for name, default in (("accent_color", None), ("footer_links", []), ("favicon_url", None)):
            view[name] = item.get(name, default)
        view["monitors"] = _page_entries(api, item["id"], mk)
        objects["status_page"].append(
            Current("status_page", item["id"], keys["status_page"].get(item["id"]), view, item)
        )
    for item in api.all("/maintenance-windows"):
        view = {name: item[name] for name in ("title", "starts_at", "ends_at")}
        if item["monitor_id"] is not None:
            view["monitor"] = mk.get(item["monitor_id"], f"#{item['monitor_id']}")
        else:
            view["status_page"] = keys["status_page"].get(
                item["status_page_id"], f"#{item['status_page_id']}"
            )
        objects["maintenance"].append(
            Current("maintenance", item["id"], keys["maintenance"].get(item["id"]), view, item)
        )
    return Account(objects, keys)
