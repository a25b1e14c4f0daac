"""The dashboard: every monitor of the account with its latest result."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, render_template
from flask.typing import ResponseReturnValue

from frontend.api_client import Unauthorized
from frontend.auth import api, current_api_url, current_token, login_required
from frontend.monitors import MonitorPage, parse_page

bp = Blueprint("dashboard", __name__)

REFRESH_S = 5


def _load() -> MonitorPage:
    token = current_token()
    if token is None:
        raise Unauthorized("no token in the session")
    return parse_page(api().monitors(token, current_api_url()))


@bp.get("/dashboard")
@login_required
def show() -> ResponseReturnValue:
    html = render_template(
        "dashboard.html", page=_load(), now=datetime.now(UTC), refresh_ms=REFRESH_S * 1000
    )
    return private(Response(html))


@bp.get("/dashboard/data")
def data() -> ResponseReturnValue:
    """The monitor table alone, for the page's script to swap in without a reload."""
    if current_token() is None:
        # The script wants a status, not a log-in page: on 401 it reloads the whole page.
        return private(Response("", status=401))
    html = render_template("_monitor_table.html", page=_load(), now=datetime.now(UTC))
    return private(Response(html))


def private(response: Response) -> Response:
    # A monitor list is one account's business: no shared or browser cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response
