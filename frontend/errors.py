"""What a user sees when something goes wrong: a page in their language, never a trace."""

from __future__ import annotations

import logging

from flask import Flask, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from frontend.api_client import ApiError, NotFound, Unauthorized
from frontend.auth import start_over

log = logging.getLogger(__name__)

# Requests from the page's own script: they want a status code, not a page to follow.
FRAGMENT_PATHS = ("/dashboard/data",)


def api_refused_token(exc: Unauthorized) -> ResponseReturnValue:
    """The token expired or was revoked: back to the log-in form with a clean session."""
    start_over()
    flash(_("Your session has ended. Please log in again."))
    if request.path in FRAGMENT_PATHS:
        return "", 401
    return redirect(url_for("auth.login"))


def api_not_found(exc: NotFound) -> ResponseReturnValue:
    return _page(404, _("Page not found"), _("There is nothing at this address."))


def api_failed(exc: ApiError) -> ResponseReturnValue:
    log.warning("api error", extra={"path": request.path, "error": str(exc)})
    if request.path in FRAGMENT_PATHS:
        return "", 502
    return _page(
        502,
        _("The monitoring service is not answering"),
        _("We could not load your data just now. Please try again in a moment."),
    )


def http_error(exc: HTTPException) -> ResponseReturnValue:
    code = exc.code or 500
    if code == 400 and exc.description == "csrf":
        return _page(
            400,
            _("This form has expired"),
            _("Please go back, reload the page and try again."),
        )
    if code == 403:
        return _page(
            403,
            _("Not for this account"),
            _("This page is for the operators of this Vigil installation."),
        )
    if code == 404:
        return _page(404, _("Page not found"), _("There is nothing at this address."))
    return _page(code, _("Something went wrong"), _("Please try again in a moment."))


def _page(code: int, title: str, text: str) -> ResponseReturnValue:
    return render_template("error.html", code=code, title=title, text=text), code


def init_app(app: Flask) -> None:
    app.register_error_handler(Unauthorized, api_refused_token)
    app.register_error_handler(NotFound, api_not_found)
    app.register_error_handler(ApiError, api_failed)
    # Flask logs an unhandled exception and then hands it here as a 500 InternalServerError.
    app.register_error_handler(HTTPException, http_error)
