"""Pages for people without a session: sign up (then follow the mailed link), first run,
accept an invitation, and a forgotten password (ask for a link, then choose a new password
with it).

What the API refuses comes back beside the field it names (its 422s) or above the form
(403 of the sign-up policy, 401 of a spent link). The sign-up and forgotten-password forms
answer the same whatever the address, as the API does: a mail says the rest.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _

from frontend import forms
from frontend.api_client import ApiError, Invalid, Limited, Refused, Unauthorized
from frontend.auth import EMAIL_MAX, api, cell_of, current_token, remember_me, start_over
from frontend.manage import private_page

bp = Blueprint("signup", __name__)

ACCOUNT_FIELDS = ("email", "password")
PASSWORD_FIELDS = ("password",)


def _policy() -> dict[str, Any]:
    """The API's sign-up policy; an API that cannot say is taken as open (it decides)."""
    try:
        return api().send("GET", "/auth/signup-policy", None)
    except ApiError:
        return {"mode": "open", "domains": [], "first_run": False, "confirm": True}


def _read(fields: tuple[str, ...]) -> forms.Form:
    form = forms.read(request.form if request.method == "POST" else {}, fields, {})
    if "email" in form.values:
        form.values["email"] = form.values["email"][:EMAIL_MAX]
    if request.method == "POST":
        form.values["password"] = request.form.get("password", "")  # spaces are the user's
        for name in fields:
            if not form.values[name]:
                form.add(name, _("This field is required."))
    return form


def _page(template: str, form: forms.Form, **context: Any) -> ResponseReturnValue:
    """The form again; a typed password is never sent back in the page."""
    if "password" in form.values:
        form.values["password"] = ""
    return private_page(render_template(template, form=form, **context), 200 if form.ok else 422)


def _log_in(email: str, password: str, api_url: str | None) -> ResponseReturnValue:
    return _session(api().login(email, password, api_url), api_url)


def _session(token: str, api_url: str | None) -> ResponseReturnValue:
    start_over(token, api_url)
    remember_me(token, api_url)
    return redirect(url_for("dashboard.show"))


def _sent() -> ResponseReturnValue:
    """What every sign-up but the first run is told, whether the address is free or not."""
    flash(
        _(
            "We have sent a mail to this address. If it can sign up, follow the link in the "
            "mail to make your account; the link works once, and only for a while. If it "
            "already has an account, the mail says so."
        )
    )
    return redirect(url_for("auth.login"))


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> ResponseReturnValue:
    policy = _policy()
    if policy.get("first_run"):
        return redirect(url_for("signup.setup"))
    return _account_form(policy, "signup.html")


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> ResponseReturnValue:
    """The first run: the cell has no account, and this one will be the operator's."""
    policy = _policy()
    if not policy.get("first_run"):
        return redirect(url_for("auth.login"))
    return _account_form(policy, "setup.html")


def _account_form(policy: dict[str, Any], template: str) -> ResponseReturnValue:
    if current_token():
        return redirect(url_for("dashboard.show"))
    form = _read(ACCOUNT_FIELDS)
    if request.method == "POST" and form.ok:
        email, password = form.values["email"], form.values["password"]
        api_url = cell_of(email)
        try:
            answer = api().send(
                "POST",
                "/auth/signup",
                None,
                api_url,
                json={"email": email, "password": password},
                headers={"Accept-Language": str(get_locale() or "en")},
            )
        except Invalid as exc:
            forms.api_errors(form, exc.errors, ACCOUNT_FIELDS)
        except Refused as exc:
            form.add(forms.GENERAL, _refusal(exc))
        except Limited:
            form.add(forms.GENERAL, _("Too many attempts. Please wait a minute and try again."))
        else:
            if "id" in answer:  # 201: the first run's account, made at once
                return _log_in(email, password, api_url)
            if policy.get("confirm", True):
                return _sent()
            try:  # the API made a free address's account at once (VIGIL_SIGNUP_CONFIRM=false)
                return _log_in(email, password, api_url)
            except Unauthorized:
                return _sent()
    return _page(template, form, policy=policy)


@bp.route("/activate/<token>", methods=["GET", "POST"])
def activate(token: str) -> ResponseReturnValue:
    """The link of a sign-up mail. A button, not the visit, makes the account: a mail
    scanner that opens links must not spend it."""
    if len(token) > 600:
        abort(404)
    form = forms.read({}, (), {})
    if request.method == "POST":
        try:
            made = api().send("POST", "/auth/signup/confirm", None, json={"token": token})
        except Unauthorized:
            form.add(
                forms.GENERAL,
                _(
                    "This link has been used or has expired. Sign up "
                    "again, or log in if your account is made."
                ),
            )
        except Refused as exc:
            form.add(forms.GENERAL, _refusal(exc))
        except Limited:
            form.add(forms.GENERAL, _("Too many attempts. Please wait a minute and try again."))
        else:
            response = _session(str(made.get("access_token", "")), None)
            flash(_("Your account is ready."))  # after the new session, which starts empty
            return response
    return _page("activate.html", form, token=token)


def _refusal(exc: Refused) -> str:
    return _(
        "Sign-up is not open to this email address. Ask the team that uses Vigil "
        "here for an invitation."
    )


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str) -> ResponseReturnValue:
    form = _read(PASSWORD_FIELDS)
    if request.method == "POST" and form.ok:
        try:
            member = api().send(
                "POST",
                "/auth/accept-invite",
                None,
                json={"token": token, "password": form.values["password"]},
            )
        except Invalid as exc:
            forms.api_errors(form, exc.errors, PASSWORD_FIELDS)
        except Unauthorized:
            form.add(forms.GENERAL, _("This invitation is no longer valid. Ask for a new one."))
        except Refused:
            form.add(forms.GENERAL, _("This email address already has a log-in. Log in instead."))
        else:
            return _log_in(str(member.get("email", "")), form.values["password"], None)
    return _page("invite.html", form, token=token)


@bp.route("/forgot", methods=["GET", "POST"])
def forgot() -> ResponseReturnValue:
    form = _read(("email",))
    if request.method == "POST" and form.ok:
        email = form.values["email"]
        try:
            api().send("POST", "/auth/password-reset", None, cell_of(email), json={"email": email})
        except Invalid as exc:
            forms.api_errors(form, exc.errors, ("email",))
        except Limited:
            form.add(forms.GENERAL, _("Too many attempts. Please wait a minute and try again."))
        else:
            flash(
                _(
                    "If an account uses this address, we have sent it a link to choose a new "
                    "password. The link works once, and only for a while."
                )
            )
            return redirect(url_for("auth.login"))
    return _page("forgot.html", form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> ResponseReturnValue:
    if len(token) > 200:
        abort(404)
    form = _read(PASSWORD_FIELDS)
    if request.method == "POST" and form.ok:
        try:
            api().send(
                "POST",
                "/auth/password-reset/confirm",
                None,
                json={"token": token, "password": form.values["password"]},
            )
        except Invalid as exc:
            forms.api_errors(form, exc.errors, PASSWORD_FIELDS)
        except Unauthorized:
            form.add(forms.GENERAL, _("This link has been used or has expired. Ask for a new one."))
        except Limited:
            form.add(forms.GENERAL, _("Too many attempts. Please wait a minute and try again."))
        else:
            session.pop("token", None)
            flash(_("Your password has been changed. Log in with the new one."))
            return redirect(url_for("auth.login"))
    return _page("reset.html", form, token=token)
