"""Logging in and out: the API issues the token, the session cookie carries it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from frontend.api_client import ApiClient, ApiError, BadResponse, NotFound, Unauthorized
from frontend.i18n import SESSION_KEY as LANG_KEY

bp = Blueprint("auth", __name__)

TOKEN_KEY = "token"
API_URL_KEY = "api_url"  # the API of the user's cell, found through the directory
OPERATOR_KEY = "operator"  # the API counts this log-in as an admin (the system page)
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
        cell_url = _cell_of(email)
        token = api().login(email, password, cell_url)
    except Unauthorized:
        return _form_again(email, _("Wrong email address or password."))
    start_over(token, cell_url)
    session[OPERATOR_KEY] = is_operator(token, cell_url)
    return redirect(url_for("dashboard.show"))


def is_operator(token: str, api_url: str | None) -> bool:
    """Whether the API counts this log-in among its admins (`is_admin` of /auth/me).
    An API that cannot answer just now means no: the link stays hidden, the page works."""
    try:
        me = api().send("GET", "/auth/me", token, api_url)
    except ApiError:
        return False
    return me.get("is_admin") is True


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    start_over()
    return redirect(url_for("auth.login"))


def _cell_of(email: str) -> str | None:
    """The user's cell's API through the directory; None (the default API) if the API
    cannot say, as an API older than the directory cannot."""
    try:
        return api().locate(email)
    except (BadResponse, NotFound):
        return None


def _form_again(email: str, error: str) -> ResponseReturnValue:
    # 200 with the form, not a redirect: the typed email stays, the password does not.
    return render_template("login.html", email=email, error=error), 200
