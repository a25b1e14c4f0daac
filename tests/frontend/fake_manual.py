"""The fake API's manual incidents of a status page, judged by the API's own body models
(`api.routes.manual_incidents`) and its rules (only monitors the page shows, once each; no
update after resolved), so the fake refuses what the real API refuses."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from api.routes.manual_incidents import ManualIncidentIn, ManualUpdateIn

NOW = "2026-01-02T08:00:00+00:00"


def _invalid(exc: ValidationError) -> tuple[int, Any]:
    return 422, {
        "detail": [
            {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()
        ]
    }


def _shown(store: dict[str, list[dict[str, Any]]], pid: str) -> set[int]:
    return {m["monitor_id"] for m in store.get(f"pages/{pid}/monitors", [])}


def _open(
    store: dict[str, list[dict[str, Any]]], pid: str, body: bytes, new_id: int
) -> tuple[int, Any]:
    try:
        data = ManualIncidentIn.model_validate_json(body)
    except ValidationError as exc:
        return _invalid(exc)
    shown, seen = _shown(store, pid), set()
    for i, a in enumerate(data.affected):
        if a.monitor_id not in shown or a.monitor_id in seen:
            return 422, {
                "detail": [
                    {
                        "loc": ["body", "affected", i, "monitor_id"],
                        "msg": "the page does not show it",
                        "type": "value_error",
                    }
                ]
            }
        seen.add(a.monitor_id)
    incident = {
        "id": new_id,
        "title": data.title,
        "status": data.status,
        "started_at": NOW,
        "resolved_at": None,
        "affected": [a.model_dump() for a in data.affected],
        "updates": [
            {"id": new_id, "status": data.status, "message": data.message, "created_at": NOW}
        ],
    }
    store.setdefault(f"pages/{pid}/manual-incidents", []).insert(0, incident)
    return 201, incident


def _update(incident: dict[str, Any], body: bytes, new_id: int) -> tuple[int, Any]:
    try:
        data = ManualUpdateIn.model_validate_json(body)
    except ValidationError as exc:
        return _invalid(exc)
    if incident["status"] == "resolved":
        return 409, {"detail": "the incident is resolved"}
    incident["status"] = data.status
    incident["resolved_at"] = NOW if data.status == "resolved" else None
    incident["updates"].append(
        {"id": new_id, "status": data.status, "message": data.message, "created_at": NOW}
    )
    return 201, incident


def answer(
    store: dict[str, list[dict[str, Any]]],
    method: str,
    body: bytes,
    pid: str,
    iid: str | None,
    new_id: int,
) -> tuple[int, Any]:
    """What the API answers to `method` on the page's manual incidents (or one of them)."""
    if not any(str(p["id"]) == pid for p in store.get("status-pages", [])):
        return 404, {"detail": "status page not found"}
    items = store.setdefault(f"pages/{pid}/manual-incidents", [])
    if iid is None:
        if method == "GET":
            return 200, {"items": items, "next": None}
        return _open(store, pid, body, new_id)
    found = next((i for i in items if str(i["id"]) == iid), None)
    if found is None:
        return 404, {"detail": "incident not found"}
    return (200, found) if method == "GET" else _update(found, body, new_id)
