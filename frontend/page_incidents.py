"""A status page's manual incidents, for its owner: post one Vigil did not detect (title,
message, the page's monitors it touches with their impact), move it through investigating,
identified and monitoring to resolved with updates. The page's subscribers are told of each
step by the notifier; the API's 422s are shown beside the fields they name."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from frontend import forms
from frontend.auth import login_required
from frontend.formatting import moment
from frontend.manage import call, private_page
from frontend.resources import items, submit

bp = Blueprint("page_incidents", __name__)

OPEN_STATUSES = ("investigating", "identified", "monitoring")  # what an incident opens as
STATUSES = (*OPEN_STATUSES, "resolved")
IMPACTS = ("degraded", "partial_outage", "major_outage")


def _words() -> dict[str, str]:
    """The states and impacts in the visitor's language (translated per request)."""
    return {
        "investigating": _("Investigating"),
        "identified": _("Identified"),
        "monitoring": _("Monitoring"),
        "resolved": _("Resolved"),
        "degraded": _("Degraded performance"),
        "partial_outage": _("Partial outage"),
        "major_outage": _("Major outage"),
    }


INCIDENT_FIELDS = ("title", "message", "status", "affected")
UPDATE_FIELDS = ("status", "message")


def _impact_key(monitor_id: Any) -> str:
    return f"impact_{monitor_id}"


def _incidents(pid: int) -> list[dict[str, Any]]:
    """Open ones first, then the rest, newest first as the API lists them."""
    found = [
        dict(
            i,
            started=moment(i.get("started_at")),
            updates=[
                dict(u, at=moment(u.get("created_at")))
                for u in i.get("updates") or []
                if isinstance(u, dict)
            ],
        )
        for i in items(f"/status-pages/{pid}/manual-incidents")
    ]
    return sorted(found, key=lambda i: i.get("status") == "resolved")


def _body(form: forms.Form, on_page: list[dict[str, Any]]) -> dict[str, Any]:
    v = form.values
    for name in ("title", "message"):
        if not v[name]:
            form.add(name, _("This field is required."))
    affected = [
        {"monitor_id": m["monitor_id"], "impact": v[_impact_key(m["monitor_id"])]}
        for m in on_page
        if v.get(_impact_key(m["monitor_id"]))
    ]
    if not affected:
        form.add("affected", _("Choose the impact on at least one monitor."))
    return {
        "title": v["title"],
        "message": v["message"],
        "status": v["status"],
        "affected": affected,
    }


def _view(
    pid: int, form: forms.Form, update: forms.Form | None = None, update_of: int | None = None
) -> ResponseReturnValue:
    page = call("GET", f"/status-pages/{pid}")
    html = render_template(
        "page_incidents.html",
        page=page,
        pid=pid,
        form=form,
        on_page=_on_page(pid),
        incidents=_incidents(pid),
        update=update or forms.read({}, UPDATE_FIELDS, {}),
        update_of=update_of,
        statuses=STATUSES,
        open_statuses=OPEN_STATUSES,
        impacts=IMPACTS,
        words=_words(),
        impact_key=_impact_key,
    )
    ok = form.ok and (update is None or update.ok)
    return private_page(html, 200 if ok else 422)


def _on_page(pid: int) -> list[dict[str, Any]]:
    return [
        m for m in items(f"/status-pages/{pid}/monitors") if isinstance(m.get("monitor_id"), int)
    ]


@bp.route("/status-pages/<int:pid>/incidents", methods=["GET", "POST"])
@login_required
def incidents(pid: int) -> ResponseReturnValue:
    on_page = _on_page(pid)
    names = (*INCIDENT_FIELDS, *(_impact_key(m["monitor_id"]) for m in on_page))
    form = forms.read(
        request.form if request.method == "POST" else {}, names, {"status": "investigating"}
    )
    if request.method == "POST":
        if form.values["status"] not in OPEN_STATUSES:
            form.add("status", _("Choose one of the offered states."))
        body = _body(form, on_page)
        if (
            submit(form, INCIDENT_FIELDS, "POST", f"/status-pages/{pid}/manual-incidents", body)
            is not None
        ):
            flash(_("Incident posted. The page's subscribers are told."))
            return redirect(url_for("page_incidents.incidents", pid=pid))
    return _view(pid, form)


@bp.post("/status-pages/<int:pid>/incidents/<int:iid>/updates")
@login_required
def post_update(pid: int, iid: int) -> ResponseReturnValue:
    update = forms.read(request.form, UPDATE_FIELDS, {})
    if update.values["status"] not in STATUSES:
        update.add("status", _("Choose one of the offered states."))
    if not update.values["message"]:
        update.add("message", _("This field is required."))
    if (
        submit(
            update,
            UPDATE_FIELDS,
            "POST",
            f"/status-pages/{pid}/manual-incidents/{iid}/updates",
            dict(update.values),
        )
        is not None
    ):
        flash(_("Update posted. The page's subscribers are told."))
        return redirect(url_for("page_incidents.incidents", pid=pid))
    return _view(pid, forms.read({}, INCIDENT_FIELDS, {"status": "investigating"}), update, iid)
