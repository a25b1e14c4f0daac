"""The operator's system page: cells with their accounts and load, queue depths, the ingest
rate (GET /system) and the executor fleet by region and node (GET /nodes).

Both endpoints are for the API's admins (VIGIL_ADMIN_EMAILS); anyone else gets their 403,
and the footer hides the link from them (auth.remember_me: the `is_admin` of /auth/me,
asked once at log-in). An API
without /system yet still shows the fleet, with a note.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue

from frontend import shapes
from frontend.api_client import NotFound, Refused
from frontend.auth import login_required
from frontend.formatting import moment
from frontend.manage import call, private_page

bp = Blueprint("system", __name__)


@bp.get("/system")
@login_required
def show() -> ResponseReturnValue:
    try:
        nodes = call("GET", "/nodes")
    except (Refused, NotFound):
        abort(403)  # for operators only
    try:
        system = call("GET", "/system")
    except NotFound:
        system = None  # an API from before /system
    html = render_template(
        "system.html",
        regions=_regions(nodes),
        system=_system(system) if system is not None else None,
    )
    return private_page(html)


def _regions(body: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [
        dict(n, heartbeat=moment(n.get("last_heartbeat")))
        for n in body.get("items") or []
        if isinstance(n, dict)
    ]
    regions = [
        dict(r, heartbeat=moment(r.get("last_heartbeat")))
        for r in body.get("regions") or []
        if isinstance(r, dict)
    ]
    for region in regions:
        region["members"] = [n for n in nodes if n.get("region") == region.get("region")]
    return regions


def _system(body: dict[str, Any]) -> dict[str, Any]:
    """The /system answer with its parts checked: what is malformed is left out."""
    cell = shapes.as_dict(body.get("cell"))
    ingest = shapes.as_dict(body.get("ingest"))
    tests = shapes.as_dict(body.get("tests"))
    cells = [dict(c, load=load(c)) for c in body.get("cells") or [] if isinstance(c, dict)]
    queues = [q for q in body.get("queues") or [] if isinstance(q, dict)]
    return {
        "cell": dict(cell, load=load(cell)),
        "cells": cells,
        "queues": queues,
        "queues_error": _text(body.get("queues_error")),
        "cells_error": _text(body.get("cells_error")),
        "ingest": dict(ingest, last=moment(ingest.get("last_result_at"))),
        "tests": tests,
    }


def load(cell: dict[str, Any]) -> float | None:
    """Accounts as a share of the cell's capacity; None when either is not a count."""
    accounts, capacity = _count(cell.get("accounts")), _count(cell.get("capacity"))
    if accounts is None or capacity is None:
        return None
    return accounts / capacity if capacity > 0 else None


def _count(raw: Any) -> int | None:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else None


def _text(raw: Any) -> str | None:
    return raw if isinstance(raw, str) and raw else None
