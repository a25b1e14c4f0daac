"""The dashboard: the account's monitors a page at a time, searched, filtered and sorted by
the API, with counts by status, bulk actions on a selection, and a live refresh that costs
a 304 when nothing changed."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _

from frontend import zones
from frontend.api_client import Invalid, NotFound, Refused, Unauthorized
from frontend.auth import api, current_api_url, current_token, login_required
from frontend.forms import KINDS
from frontend.monitors import STATUSES, MonitorPage, parse_page

bp = Blueprint("dashboard", __name__)

REFRESH_S = 5
SORTS = ("status", "name", "newest", "oldest")
DEFAULT_SORT = "status"  # down first: what needs looking at
QUERY = ("q", "status", "kind", "tag", "region", "sort", "cursor")  # what a URL may ask
BULK_ACTIONS = ("pause", "resume", "delete", "add_to_status_page")
_ETAG = re.compile(r'^W/"([0-9a-f]{32})\.([0-9a-f]{8})"$')


def asked() -> dict[str, str]:
    """The list's parameters from the URL: empty ones dropped, fixed choices kept to their
    choices (anything else the API judges, and a 422 names it)."""
    params = {k: v.strip() for k in QUERY if (v := request.args.get(k, "")).strip()}
    for key, choices in (("status", STATUSES), ("kind", KINDS), ("sort", SORTS)):
        if key in params and params[key] not in choices:
            del params[key]
    params.setdefault("sort", DEFAULT_SORT)
    return params


def _view_mark() -> str:
    # The HTML depends on more than the API's answer: the language, the zone, and the
    # minute ("3 minutes ago"). A new minute makes a new ETag, so those texts stay true.
    minute = int(datetime.now(UTC).timestamp() // 60)
    key = f"{get_locale()}|{zones.select_timezone()}|{minute}"
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def _api_etag(browser_etag: str | None) -> str | None:
    """The API's ETag inside the browser's, if the rest of it still holds."""
    match = _ETAG.match(browser_etag or "")
    if match is None or match.group(2) != _view_mark():
        return None
    return f'W/"{match.group(1)}"'


def _browser_etag(api_etag: str | None) -> str | None:
    match = re.match(r'^W/"([0-9a-f]{32})"$', api_etag or "")
    return f'W/"{match.group(1)}.{_view_mark()}"' if match else None


def _load(
    params: dict[str, str], etag: str | None = None
) -> tuple[MonitorPage | None, str | None, list[dict[str, Any]]]:
    """The page (None when `etag` still holds), its ETag, and the API's 422 errors."""
    token = current_token()
    if token is None:
        raise Unauthorized("no token in the session")
    try:
        body, new_etag = api().monitor_list(token, current_api_url(), params, etag)
    except Invalid as exc:
        return MonitorPage([], truncated=False), None, exc.errors
    return (None if body is None else parse_page(body)), new_etag, []


def _bad_fields(errors: list[dict[str, Any]]) -> list[str]:
    return sorted({str(e["loc"][-1]) for e in errors if e.get("loc")})


def _status_pages() -> list[dict[str, Any]]:
    try:
        body = api().send(
            "GET", "/status-pages", current_token(), current_api_url(), params={"limit": 200}
        )
    except (NotFound, Refused):
        return []
    items = body.get("items")
    return [p for p in items if isinstance(p, dict)] if isinstance(items, list) else []


def _table(page: MonitorPage, params: dict[str, str], errors: list[dict[str, Any]]) -> str:
    return render_template(
        "_monitor_table.html",
        page=page,
        now=datetime.now(UTC),
        params=params,
        bad_fields=_bad_fields(errors),
    )


@bp.get("/dashboard")
@login_required
def show() -> ResponseReturnValue:
    params = asked()
    page, etag, errors = _load(params)
    assert page is not None
    html = render_template(
        "dashboard.html",
        page=page,
        now=datetime.now(UTC),
        refresh_ms=REFRESH_S * 1000,
        params=params,
        bad_fields=_bad_fields(errors),
        sorts=SORTS,
        kinds=KINDS,
        statuses=STATUSES,
        status_pages=_status_pages(),
        actions=BULK_ACTIONS,
        sort_label=sort_label,
        action_label=action_label,
        etag=_browser_etag(etag) or "",
    )
    return private(Response(html))


@bp.get("/dashboard/data")
def data() -> ResponseReturnValue:
    """The monitor table alone, for the page's script to swap in without a reload; a 304
    when the ETag the script sends still holds."""
    if current_token() is None:
        # The script wants a status, not a log-in page: on 401 it reloads the whole page.
        return private(Response("", status=401))
    params = asked()
    page, etag, errors = _load(params, _api_etag(request.headers.get("If-None-Match")))
    browser_etag = _browser_etag(etag)
    if page is None:
        response = Response(status=304)
    else:
        response = Response(_table(page, params, errors))
    if browser_etag:
        response.headers["ETag"] = browser_etag
    return private(response)


@bp.post("/dashboard/bulk")
@login_required
def bulk() -> ResponseReturnValue:
    """One action on the monitors ticked in the table; the API takes all of them or none."""
    action = request.form.get("action", "")
    ids = request.form.getlist("ids")
    body: dict[str, Any] = {"action": action, "ids": [int(i) for i in ids if i.isdigit()]}
    if action == "add_to_status_page":
        page_id = request.form.get("status_page_id", "")
        body["status_page_id"] = int(page_id) if page_id.isdigit() else None
    query: dict[str, Any] = request.args.to_dict()  # url_for takes its values as Any
    back = redirect(url_for("dashboard.show", **query))
    if action not in BULK_ACTIONS:
        flash(_("Choose an action."))
        return back
    if not body["ids"]:
        flash(_("Tick the monitors to act on first."))
        return back
    try:
        done = api().send("POST", "/monitors/bulk", current_token(), current_api_url(), json=body)
    except Invalid as exc:
        fields = ", ".join(_bad_fields(exc.errors))
        flash(_("The monitoring service refused this action (%(fields)s).", fields=fields))
        return back
    flash(_done_text(action, int(done.get("count", 0))))
    return back


def sort_label(sort: str) -> str:
    return {
        "status": _("Status, down first"),
        "name": _("Name"),
        "newest": _("Newest first"),
        "oldest": _("Oldest first"),
    }[sort]


def action_label(action: str) -> str:
    return {
        "pause": _("Pause"),
        "resume": _("Resume"),
        "delete": _("Delete"),
        "add_to_status_page": _("Add to status page"),
    }[action]


def _done_text(action: str, count: int) -> str:
    texts = {
        "pause": _("%(count)s monitors paused.", count=count),
        "resume": _("%(count)s monitors resumed.", count=count),
        "delete": _("%(count)s monitors deleted.", count=count),
        "add_to_status_page": _("%(count)s monitors added to the status page.", count=count),
    }
    return texts[action]


def private(response: Response) -> Response:
    # A monitor list is one account's business: no shared or browser cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response
