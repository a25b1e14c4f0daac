"""Incidents, their updates and their acknowledgement.

A cell may not offer the incident endpoints yet: their 404 shows a "not available" note.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from frontend import forms
from frontend.api_client import Invalid, NotFound, Refused
from frontend.auth import login_required
from frontend.formatting import moment
from frontend.manage import call, private_page

bp = Blueprint("incidents", __name__)

MESSAGE_MAX = 5000


def recent(params: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Incidents, newest first, with their times parsed; None when the API has none."""
    try:
        body = call("GET", "/incidents", params=params)
    except NotFound:
        return None
    return [with_times(i) for i in body.get("items") or [] if isinstance(i, dict)]


def with_times(incident: dict[str, Any]) -> dict[str, Any]:
    out = dict(incident)
    for key in ("started_at", "resolved_at", "acknowledged_at"):
        out[key.removesuffix("_at")] = moment(incident.get(key))
    out["updates"] = [
        dict(u, at=moment(u.get("created_at")))
        for u in incident.get("updates") or []
        if isinstance(u, dict)
    ]
    return out


@bp.get("/incidents")
@login_required
def index() -> ResponseReturnValue:
    items = recent({"limit": 100})
    return private_page(render_template("incidents.html", incidents=items))


@bp.route("/incidents/<int:iid>", methods=["GET", "POST"])
@login_required
def show(iid: int) -> ResponseReturnValue:
    form = forms.read(request.form if request.method == "POST" else {}, ("message",), {})
    if request.method == "POST":
        message = request.form.get("message", "").strip()[:MESSAGE_MAX]
        if not message:
            form.add("message", _("This field is required."))
        else:
            try:
                call("POST", f"/incidents/{iid}/updates", json={"message": message})
            except Invalid as exc:
                forms.api_errors(form, exc.errors, ("message",))
            except Refused as exc:
                form.add(
                    forms.GENERAL, exc.detail or _("The monitoring service refused this change.")
                )
            else:
                flash(_("Update posted."))
                return redirect(url_for("incidents.show", iid=iid))
    incident = with_times(call("GET", f"/incidents/{iid}"))
    html = render_template(
        "incident.html",
        incident=incident,
        iid=iid,
        form=form,
        acknowledger=_acknowledger(incident.get("acknowledged_by")),
    )
    return private_page(html, 200 if form.ok else 422)


@bp.post("/incidents/<int:iid>/acknowledge")
@login_required
def acknowledge(iid: int) -> ResponseReturnValue:
    """Someone is on it: the API records who and when; the first acknowledgement stands."""
    try:
        call("POST", f"/incidents/{iid}/acknowledge")
    except Refused as exc:
        flash(exc.detail or _("The monitoring service refused this change."))
    else:
        flash(_("Incident acknowledged."))
    return redirect(url_for("incidents.show", iid=iid))


def _acknowledger(login_id: Any) -> str | None:
    """The email of the team member who acknowledged; None if the API will not say.

    The incident names a log-in id; the team's member list turns it into an address."""
    if not isinstance(login_id, int):
        return None
    try:
        members = call("GET", "/members", params={"limit": 200}).get("items") or []
    except (NotFound, Refused):
        return None
    return next(
        (str(m.get("email")) for m in members if isinstance(m, dict) and m.get("id") == login_id),
        None,
    )
