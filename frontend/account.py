"""Account settings: language and time zone (kept on the account by the API, so every
browser shows the same) and the password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from frontend import forms, zones
from frontend.api_client import Invalid, Unauthorized
from frontend.auth import TOKEN_KEY, login_required
from frontend.i18n import LANGUAGES
from frontend.i18n import SESSION_KEY as LANG_KEY
from frontend.manage import call, private_page

bp = Blueprint("account", __name__)

PREF_FIELDS = ("language", "time_zone")
PASSWORD_FIELDS = ("current_password", "new_password")


def _page(prefs: forms.Form, password: forms.Form, status: int = 200) -> ResponseReturnValue:
    me = call("GET", "/auth/me")
    html = render_template(
        "account.html",
        me=me,
        prefs=prefs,
        password=password,
        languages=LANGUAGES,
        zones=zones.names(),
    )
    return private_page(html, status)


def _stored_prefs() -> forms.Form:
    me = call("GET", "/auth/me")
    return forms.read(
        {},
        PREF_FIELDS,
        {
            "language": str(me.get("language") or "en"),
            "time_zone": str(me.get("time_zone") or "UTC"),
        },
    )


@bp.get("/account")
@login_required
def show() -> ResponseReturnValue:
    return _page(_stored_prefs(), forms.read({}, PASSWORD_FIELDS, {}))


@bp.post("/account")
@login_required
def preferences() -> ResponseReturnValue:
    form = forms.read(request.form, PREF_FIELDS, {})
    if form.values["language"] not in LANGUAGES:
        form.add("language", _("Choose one of the offered languages."))
    if zones.valid(form.values["time_zone"]) is None:
        form.add("time_zone", _("Choose one of the offered time zones."))
    if form.ok:
        try:
            call(
                "PATCH",
                "/auth/me",
                json={"language": form.values["language"], "time_zone": form.values["time_zone"]},
            )
        except Invalid as exc:
            forms.api_errors(form, exc.errors, PREF_FIELDS)
        else:
            session[LANG_KEY] = form.values["language"]
            zones.remember(form.values["time_zone"])
            flash(_("Changes saved."))
            return redirect(url_for("account.show"))
    return _page(form, forms.read({}, PASSWORD_FIELDS, {}), 422)


@bp.post("/account/password")
@login_required
def password() -> ResponseReturnValue:
    form = forms.Form({n: request.form.get(n, "") for n in PASSWORD_FIELDS})
    for name in PASSWORD_FIELDS:
        if not form.values[name]:
            form.add(name, _("This field is required."))
    if form.ok:
        try:
            tokens = call("POST", "/auth/password", json=form.values)
        except Invalid as exc:
            forms.api_errors(form, exc.errors, PASSWORD_FIELDS)
        except Unauthorized:
            form.add("current_password", _("This is not your current password."))
        else:
            # Every earlier token is revoked by the change: carry on with the new one.
            session[TOKEN_KEY] = tokens.get("access_token")
            flash(_("Your password has been changed."))
            return redirect(url_for("account.show"))
    form.values = {n: "" for n in PASSWORD_FIELDS}  # never echo a password back
    return _page(_stored_prefs(), form, 422)
