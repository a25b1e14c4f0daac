"""A status page's subscribers, for its owner: the list, a CSV export, and removal."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from frontend.auth import api, current_api_url, current_token, login_required
from frontend.dashboard import private
from frontend.formatting import moment
from frontend.manage import call, private_page
from frontend.resources import items, remove

bp = Blueprint("page_subscribers", __name__)


@bp.get("/status-pages/<int:pid>/subscribers")
@login_required
def subscribers(pid: int) -> ResponseReturnValue:
    page = call("GET", f"/status-pages/{pid}")
    rows = [
        dict(s, since=moment(s.get("confirmed_at") or s.get("created_at")))
        for s in items(f"/status-pages/{pid}/subscribers")
    ]
    return private_page(
        render_template("page_subscribers.html", page=page, pid=pid, subscribers=rows)
    )


@bp.get("/status-pages/<int:pid>/subscribers.csv")
@login_required
def export(pid: int) -> ResponseReturnValue:
    body, kind = api().download(
        f"/status-pages/{pid}/subscribers.csv", current_token(), current_api_url()
    )
    response = Response(body, content_type=kind)
    response.headers["Content-Disposition"] = f'attachment; filename="subscribers-{pid}.csv"'
    return private(response)


@bp.post("/status-pages/<int:pid>/subscribers/<int:sid>/delete")
@login_required
def remove_subscriber(pid: int, sid: int) -> ResponseReturnValue:
    return remove(
        f"/status-pages/{pid}/subscribers/{sid}",
        _("Subscriber removed."),
        url_for("page_subscribers.subscribers", pid=pid),
    )
