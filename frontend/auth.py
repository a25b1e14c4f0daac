"""Logging in and out: the API issues the token, the session cookie carries it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from frontend import zones
from frontend.api_client import ApiClient, ApiError, BadResponse, NotFound, Unauthorized
from frontend.i18n import DEFAULT as DEFAULT_LANGUAGE
from frontend.i18n import LANGUAGES
from frontend.i18n import SESSION_KEY as LANG_KEY

bp = Blueprint("auth", __name__)

TOKEN_KEY = "token"
API_URL_KEY = "api_url"  # the API of the user's cell, found through the directory
OPERATOR_KEY = "operator"  # the API counts this log-in as an admin (the system page)
ROLE_KEY = "role"  # the log-in's role in its account, from /auth/me
ROLES = ("viewer", "editor", "owner")
EMAIL_MAX = 320


def api() -> ApiClient:
    client: ApiClient = current_app.extensions["vigil_api"]
    return client


def current_token() -> str | None:
    token = session.get(TOKEN_KEY)
    return token if isinstance(token, str) and token else None


def current_api_url() -> str | None:
    """The user's cell's API, or None for the API this frontend is configured with."""
    url = session.get(API_URL_KEY)
    return url if isinstance(url, str) and url else None


def cell_api_url() -> str:
    """The user's cell's API URL: the session's, else the one this frontend is configured with."""
    url: str = current_api_url() or current_app.config["VIGIL_API_URL"]
    return url


def start_over(token: str | None = None, api_url: str | None = None) -> None:
    """A fresh session (new CSRF token too), keeping only the chosen language.

    Called at log-in, so a session planted before it is worth nothing after (fixation),
    and at log-out or when the API drops the token.
    """
    lang = session.get(LANG_KEY)
    session.clear()
    if lang is not None:
        session[LANG_KEY] = lang
    if token is not None:
        session[TOKEN_KEY] = token
    if api_url is not None:
        session[API_URL_KEY] = api_url


def login_required(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if current_token() is None:
            return redirect(url_for("auth.login"))
        return view(*args, **kwargs)

    return wrapped


@bp.get("/")
def index() -> ResponseReturnValue:
    return redirect(url_for("dashboard.show" if current_token() else "auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        if current_token():
            return redirect(url_for("dashboard.show"))
        return render_template("login.html", email="", error=None)
    email = request.form.get("email", "").strip()[:EMAIL_MAX]
    password = request.form.get("password", "")
    if not email or not password:
        return _form_again(email, _("Enter your email address and password."))
    try:
        cell_url = cell_of(email)
        token = api().login(email, password, cell_url)
    except Unauthorized:
        return _form_again(email, _("Wrong email address or password."))
    start_over(token, cell_url)
    remember_me(token, cell_url)
    return redirect(url_for("dashboard.show"))


def remember_me(token: str, api_url: str | None) -> None:
    """What the session keeps of /auth/me: whether the API counts this log-in among its
    admins, its role (the pages offer only what it may do), and its language and time zone,
    which are kept on the account so every browser it logs in from shows the same.
    An API that cannot answer just now means a viewer, not an admin: the page still works."""
    try:
        me = api().send("GET", "/auth/me", token, api_url)
    except ApiError:
        me = {}
    session[OPERATOR_KEY] = me.get("is_admin") is True
    session[ROLE_KEY] = me.get("role") if me.get("role") in ROLES else "viewer"
    # The API cannot tell "chose English, UTC" from "never chose": an account still at
    # those defaults leaves the browser's language and zone in charge.
    if me.get("language") in LANGUAGES and me["language"] != DEFAULT_LANGUAGE:
        session[LANG_KEY] = me["language"]
    if zones.valid(me.get("time_zone")) and me["time_zone"] != zones.DEFAULT:
        zones.remember(me["time_zone"])


def refresh_role() -> None:
    """Ask the API again: an owner may have changed this log-in's role since it logged in."""
    try:
        me = api().send("GET", "/auth/me", current_token(), current_api_url())
    except ApiError:
        return
    if me.get("role") in ROLES:
        session[ROLE_KEY] = me["role"]


def current_role() -> str:
    role = session.get(ROLE_KEY)
    return role if role in ROLES else "viewer"


def may(role: str) -> bool:
    """Whether the logged-in role is at least `role` (viewer < editor < owner)."""
    return ROLES.index(current_role()) >= ROLES.index(role)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    start_over()
    return redirect(url_for("auth.login"))


def cell_of(email: str) -> str | None:
    """The user's cell's API through the directory; None (the default API) if the API
    cannot say, as an API older than the directory cannot, or the address is malformed
    (the default API then names the field to the form that sends it)."""
    try:
        return api().locate(email)
    except (BadResponse, NotFound, Unauthorized):
        return None


def _form_again(email: str, error: str) -> ResponseReturnValue:
    # 200 with the form, not a redirect: the typed email stays, the password does not.
    return render_template("login.html", email=email, error=error), 200
