"""The team page (members, their roles, invitations) and the API keys page.

Only what the role may do is offered: owners manage the team, editors and owners make
and revoke keys, viewers look. A form posted anyway is still the API's to refuse: its 403
comes back as a 403 page with the reason, and nothing has changed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from frontend import forms
from frontend.api_client import Invalid, NotFound, Refused
from frontend.auth import ROLES, login_required, may, refresh_role
from frontend.formatting import moment
from frontend.manage import call, private_page

bp = Blueprint("team", __name__)

INVITE_FIELDS = ("email", "role")
KEY_FIELDS = ("name", "role")
NEW_KEY = "new_api_key"  # shown once: kept in the session only until the next page view
SCOPES = ("viewer", "editor")  # read-only, read-write


def role_names() -> dict[str, str]:
    return {"owner": _("Owner"), "editor": _("Editor"), "viewer": _("Viewer")}


def scope_names() -> dict[str, str]:
    return {"viewer": _("Read-only"), "editor": _("Read and write")}


def _items(path: str) -> list[dict[str, Any]]:
    body = call("GET", path, params={"limit": 200})
    return [i for i in body.get("items") or [] if isinstance(i, dict)]


def _send(
    form: forms.Form,
    fields: tuple[str, ...],
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
) -> tuple[dict[str, Any] | None, int]:
    """The API's answer, or None with the errors on the form and the status to answer."""
    try:
        return call(method, path, **({"json": body} if body is not None else {})), 200
    except Invalid as exc:
        forms.api_errors(form, exc.errors, fields)
        return None, 422
    except Refused as exc:
        form.add(forms.GENERAL, exc.detail or _("The monitoring service refused this change."))
        return None, exc.status
    except NotFound:
        form.add(forms.GENERAL, _("It no longer exists."))
        return None, 404


# Team ---------------------------------------------------------------------------------


@bp.get("/team")
@login_required
def show() -> ResponseReturnValue:
    return _team_page(forms.read({}, INVITE_FIELDS, {"role": "viewer"}))


def _team_page(form: forms.Form, status: int = 200, link: str = "") -> ResponseReturnValue:
    refresh_role()
    invitations = _items("/invitations") if may("owner") else []
    html = render_template(
        "team.html",
        members=[_dated(m) for m in _items("/members")],
        invitations=[_dated(i, "expires_at") for i in invitations],
        form=form,
        roles=ROLES,
        role_names=role_names(),
        owner=may("owner"),
        link=link,
    )
    return private_page(html, status)


def _dated(row: dict[str, Any], key: str = "created_at") -> dict[str, Any]:
    return {**row, "when": moment(row.get(key))}


@bp.post("/team/invite")
@login_required
def invite() -> ResponseReturnValue:
    form = forms.read(request.form, INVITE_FIELDS, {"role": "viewer"})
    if not form.values["email"]:
        form.add("email", _("This field is required."))
    if form.values["role"] not in ROLES:
        form.add("role", _("Choose one of the offered roles."))
    if not form.ok:
        return _team_page(form, 422)
    created, status = _send(
        form,
        INVITE_FIELDS,
        "POST",
        "/invitations",
        {"email": form.values["email"], "role": form.values["role"]},
    )
    if created is None:
        return _team_page(form, status)
    flash(_("Invitation sent to %(email)s.", email=form.values["email"]))
    link = url_for("signup.accept_invite", token=str(created.get("token", "")), _external=True)
    return _team_page(forms.read({}, INVITE_FIELDS, {"role": "viewer"}), 200, link)


@bp.post("/team/members/<int:member_id>/role")
@login_required
def change_role(member_id: int) -> ResponseReturnValue:
    form = forms.read(request.form, ("role",), {})
    if form.values["role"] not in ROLES:
        form.add("role", _("Choose one of the offered roles."))
        return _team_page(form, 422)
    done, status = _send(
        form, ("role",), "PATCH", f"/members/{member_id}", {"role": form.values["role"]}
    )
    if done is None:
        return _team_page(form, status)
    flash(_("Role changed."))
    return redirect(url_for("team.show"))


@bp.post("/team/members/<int:member_id>/delete")
@login_required
def remove_member(member_id: int) -> ResponseReturnValue:
    form = forms.read({}, (), {})
    done, status = _send(form, (), "DELETE", f"/members/{member_id}")
    if done is None:
        return _team_page(form, status)
    flash(_("Member removed."))
    return redirect(url_for("team.show"))


@bp.post("/team/invitations/<int:invitation_id>/delete")
@login_required
def cancel_invitation(invitation_id: int) -> ResponseReturnValue:
    form = forms.read({}, (), {})
    done, status = _send(form, (), "DELETE", f"/invitations/{invitation_id}")
    if done is None and status != 404:
        return _team_page(form, status)
    flash(_("Invitation cancelled."))
    return redirect(url_for("team.show"))


# API keys -----------------------------------------------------------------------------


@bp.get("/api-keys")
@login_required
def api_keys() -> ResponseReturnValue:
    return _keys_page(forms.read({}, KEY_FIELDS, {"role": "viewer"}))


def _keys_page(form: forms.Form, status: int = 200) -> ResponseReturnValue:
    refresh_role()
    keys = [
        {
            **k,
            "when": moment(k.get("created_at")),
            "used": moment(k.get("last_used_at")) if k.get("last_used_at") else "",
        }
        for k in _items("/api-keys")
    ]
    html = render_template(
        "api_keys.html",
        keys=keys,
        form=form,
        scopes=SCOPES,
        scope_names=scope_names(),
        role_names=role_names(),
        editor=may("editor"),
        new_key=session.pop(NEW_KEY, None),
    )
    return private_page(html, status)


@bp.post("/api-keys")
@login_required
def create_key() -> ResponseReturnValue:
    form = forms.read(request.form, KEY_FIELDS, {"role": "viewer"})
    if not form.values["name"]:
        form.add("name", _("This field is required."))
    if form.values["role"] not in SCOPES:
        form.add("role", _("Choose one of the offered scopes."))
    if not form.ok:
        return _keys_page(form, 422)
    created, status = _send(
        form,
        KEY_FIELDS,
        "POST",
        "/api-keys",
        {"name": form.values["name"][: forms.NAME_MAX], "role": form.values["role"]},
    )
    if created is None:
        return _keys_page(form, status)
    # Through the session to the list page, so a reload does not make a second key; it
    # is popped there, so it is shown exactly once.
    session[NEW_KEY] = {"name": created.get("name"), "key": created.get("key")}
    return redirect(url_for("team.api_keys"))


@bp.post("/api-keys/<int:key_id>/revoke")
@login_required
def revoke_key(key_id: int) -> ResponseReturnValue:
    form = forms.read({}, (), {})
    done, status = _send(form, (), "DELETE", f"/api-keys/{key_id}")
    if done is None and status != 404:
        return _keys_page(form, status)
    flash(_("API key revoked."))
    return redirect(url_for("team.api_keys"))
