"""The account's page of monitors as code: which objects a file manages (`vigil apply`
overwrites changes made to them here), and the export to download as YAML."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template
from flask.typing import ResponseReturnValue

from frontend.auth import cell_api_url, login_required
from frontend.dashboard import private
from frontend.manage import call
from shared import ascode_export, ascode_state
from shared.ascode_format import KINDS, SCHEMA_PATH

bp = Blueprint("files", __name__)


class _Reader:
    """Lists of the API as the logged-in user, page after page (shared.ascode_state.Api)."""

    def all(self, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            sep = "&" if "?" in path else "?"
            page = call("GET", f"{path}{sep}limit=100" + (f"&cursor={cursor}" if cursor else ""))
            items += page.get("items") or []
            cursor = page.get("next")
            if not cursor:
                return items


def _name(current: ascode_state.Current) -> str:
    view = current.view
    return str(view.get("name") or view.get("title") or view.get("slug") or current.id)


@bp.route("/account/files")
@login_required
def show() -> ResponseReturnValue:
    account = ascode_state.read(_Reader())
    managed = [
        (kind, o.key, _name(o))
        for kind in KINDS
        for o in account.objects[kind]
        if o.key is not None
    ]
    return private(Response(render_template("files.html", managed=managed)))


@bp.route("/account/export.yaml")
@login_required
def export() -> ResponseReturnValue:
    text = ascode_export.dump(
        ascode_export.document(ascode_state.read(_Reader())),
        cell_api_url().rstrip("/") + SCHEMA_PATH,
    )
    response = Response(text, mimetype="application/yaml")
    response.headers["Content-Disposition"] = 'attachment; filename="vigil.yaml"'
    return private(response)
