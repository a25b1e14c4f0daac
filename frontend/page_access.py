"""A visitor's way into a private status page: its password (POST /s/<slug>/access), or
for an email_domain page a one-time link mailed to their address (POST /s/<slug>/sign-in,
then the link's page /s/<slug>/sign-in?token=, whose button spends it).

The API checks the password or the link and answers a signed access token; the frontend
keeps it in an HttpOnly cookie of its own (one per page) and forwards it with each read of
that page. The token is the API's to verify: a cookie that was tampered with, has expired
or predates a new password (or a new list of domains) is refused there, and the visitor
gets the form again. Like a subscriber's links, the mailed link acts only on the button's
POST: a mail scanner that fetches it spends nothing.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from frontend.api_client import (
    ApiUnavailable,
    Invalid,
    Limited,
    NotFound,
    Refused,
    Unauthorized,
)
from frontend.auth import api
from shared import names

bp = Blueprint("page_access", __name__)
SLUG = re.compile(names.SLUG_PATTERN)
HEADER = "X-Vigil-Page-Access"  # what the API reads the access token from
MAX_TOKEN = 200
MAX_PASSWORD = 256
NOINDEX = "noindex, nofollow"
PASSWORD, EMAIL_DOMAIN = "password", "email_domain"
MAX_EMAIL = 254


def locked(visibility: str) -> dict[str, Any]:
    """What the public cache keeps of a private page asked without access: that it is
    locked, and by what (a password unless the API says a sign-in by mail)."""
    return {
        "visibility": "locked",
        "needs": EMAIL_DOMAIN if visibility == EMAIL_DOMAIN else PASSWORD,
    }


def is_locked(page: dict[str, Any]) -> bool:
    return page.get("visibility") == "locked"


def cookie_name(slug: str) -> str:
    return f"vigil_page_{slug}"


def token(slug: str) -> str | None:
    """The visitor's access token to this page, if their browser sent one."""
    value = request.cookies.get(cookie_name(slug), "")
    return value if 0 < len(value) <= MAX_TOKEN else None


def headers(slug: str) -> dict[str, str]:
    """The header that carries the visitor's access to the page, if they have one."""
    found = token(slug)
    return {HEADER: found} if found else {}


def is_private(page: dict[str, Any]) -> bool:
    return page.get("visibility", "public") != "public"


def password_form(
    slug: str, status: int = 401, error: str | None = None, mode: str = PASSWORD, **extra: Any
) -> ResponseReturnValue:
    """What a visitor without access sees (a password form, an email form, a sent notice,
    the sign-in link's button), never cached or indexed."""
    html = render_template("status_page_locked.html", slug=slug, error=error, mode=mode, **extra)
    return html, status, {"Cache-Control": "no-store", "X-Robots-Tag": NOINDEX}


@bp.post("/s/<slug>/access")
def give_password(slug: str) -> ResponseReturnValue:
    if not SLUG.match(slug):
        abort(404)
    password = request.form.get("password", "")
    if not password or len(password) > MAX_PASSWORD:
        return password_form(slug, 422, _("Enter the page's password."))
    try:
        # The API limits attempts per visitor: it trusts this header from the frontend only.
        answer = api().send(
            "POST",
            f"/public/status-pages/{slug}/access",
            None,
            json={"password": password},
            follow_redirects=True,
            headers={"X-Forwarded-For": request.remote_addr or ""},
        )
    except Unauthorized:
        return password_form(slug, 401, _("That password is not right."))
    except Limited as exc:
        wait = exc.retry_after or 60
        return password_form(
            slug, 429, _("Too many attempts; try again in %(seconds)s s.", seconds=wait)
        )
    except Invalid:
        return password_form(slug, 422, _("Enter the page's password."))
    except NotFound:  # public now, or gone: the page says which
        return redirect(url_for("public.show", slug=slug))
    except ApiUnavailable:
        return password_form(slug, 503, _("The page cannot be opened right now; try again later."))
    return _signed_in(slug, answer)


def _signed_in(slug: str, answer: dict[str, Any]) -> ResponseReturnValue:
    value = answer.get("access_token")
    if not isinstance(value, str) or not 0 < len(value) <= MAX_TOKEN:
        abort(502)
    response = redirect(url_for("public.show", slug=slug), 303)
    max_age = max(60, _expires(answer) - int(time.time()))
    response.set_cookie(
        cookie_name(slug),
        value,
        max_age=max_age,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
        path="/",
    )
    return response


def _expires(answer: dict[str, Any]) -> int:
    try:
        return int(datetime.fromisoformat(str(answer.get("expires_at"))).timestamp())
    except ValueError:
        return int(time.time()) + 3600


@bp.post("/s/<slug>/sign-in")
def ask_sign_in(slug: str) -> ResponseReturnValue:
    if not SLUG.match(slug):
        abort(404)
    email = request.form.get("email", "").strip()[:MAX_EMAIL]

    def again(status: int, error: str) -> ResponseReturnValue:
        return password_form(slug, status, error, EMAIL_DOMAIN, email=email)

    try:
        api().send(
            "POST",
            f"/public/status-pages/{slug}/sign-in",
            None,
            json={"email": email},
            follow_redirects=True,
            headers={"X-Forwarded-For": request.remote_addr or ""},
        )
    except Invalid:
        return again(422, _("Only addresses of the domains this page allows can sign in."))
    except Limited:
        return again(429, _("Too many sign-in links at once; try again in a few minutes."))
    except NotFound:
        return redirect(url_for("public.show", slug=slug))
    except ApiUnavailable:
        return again(503, _("Mail cannot be sent right now; try again later."))
    return password_form(slug, 202, None, "sent", email=email)


@bp.get("/s/<slug>/sign-in")
def sign_in_link(slug: str) -> ResponseReturnValue:
    """The mailed link: a button, so that fetching the link spends nothing."""
    link = request.args.get("token", "")
    if not SLUG.match(slug) or not 0 < len(link) <= MAX_TOKEN:
        abort(404)
    return password_form(slug, 200, None, "confirm", token=link)


@bp.post("/s/<slug>/sign-in/confirm")
def confirm_sign_in(slug: str) -> ResponseReturnValue:
    link = request.form.get("token", "")
    if not SLUG.match(slug) or not 0 < len(link) <= MAX_TOKEN:
        abort(404)
    try:
        answer = api().send(
            "POST",
            f"/public/status-pages/{slug}/sign-in/confirm",
            None,
            json={"token": link},
            follow_redirects=True,
        )
    except (Refused, Invalid):
        return password_form(
            slug,
            400,
            _("This sign-in link was used already or has expired; ask for a new one."),
            EMAIL_DOMAIN,
            email="",
        )
    except NotFound:
        return redirect(url_for("public.show", slug=slug))
    except ApiUnavailable:
        return password_form(
            slug,
            503,
            _("The page cannot be opened right now; try again later."),
            "confirm",
            token=link,
        )
    return _signed_in(slug, answer)
