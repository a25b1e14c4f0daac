"""A visitor's subscription to a status page, at /s/<slug>/subscribe and the links of its
mails: sign up by email (the whole page or chosen groups), confirm, unsubscribe.

Each link of a mail opens a page with one button, and only the button's POST acts: mail
scanners that fetch every link neither confirm nor unsubscribe anyone. The unsubscribe POST
needs no form of ours (RFC 8058: a mail client POSTs to the List-Unsubscribe link), so it is
exempt from the CSRF check; its signed token is its authority. These pages are not cached:
they hold the session's CSRF token.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from frontend.api_client import ApiUnavailable, Invalid, Limited, Refused
from frontend.auth import api
from frontend.page_access import headers as access_headers
from frontend.page_access import is_locked
from frontend.public import SLUG, fetch_page

bp = Blueprint("subscriptions", __name__)
EMAIL_MAX = 254
TOKEN_MAX = 200


def _page_or_404(slug: str) -> dict[str, Any]:
    page = (
        fetch_page(slug, current_app.extensions["vigil_public_cache"]) if SLUG.match(slug) else None
    )
    if page is None:
        abort(404)
    if is_locked(page):  # a private page: its password (or a sign-in) first
        abort(redirect(url_for("public.show", slug=slug)))
    g.fallback_language = page.get("language")
    return page


def _groups(page: dict[str, Any]) -> list[str]:
    return [
        grp["name"]
        for grp in page.get("groups") or []
        if isinstance(grp, dict) and isinstance(grp.get("name"), str) and grp["name"]
    ]


def _render(
    page: dict[str, Any], slug: str, mode: str, status: int = 200, **extra: Any
) -> ResponseReturnValue:
    html = render_template(
        "subscription.html",
        title=page.get("title", ""),
        slug=slug,
        mode=mode,
        groups=_groups(page),
        **extra,
    )
    return html, status, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


@bp.get("/s/<slug>/subscribe")
def form(slug: str) -> ResponseReturnValue:
    return _render(_page_or_404(slug), slug, "form", email="", chosen=[])


@bp.post("/s/<slug>/subscribe")
def subscribe(slug: str) -> ResponseReturnValue:
    page = _page_or_404(slug)
    email = request.form.get("email", "").strip()[:EMAIL_MAX]
    known = _groups(page)
    chosen = [grp for grp in request.form.getlist("groups") if grp in known]
    body: dict[str, Any] = {"email": email}
    if chosen and len(chosen) < len(known):
        body["groups"] = chosen
    try:
        # The API limits sign-ups per visitor: it trusts this header from the frontend only.
        api().send(
            "POST",
            f"/public/status-pages/{slug}/subscribers",
            None,
            json=body,
            headers={"X-Forwarded-For": request.remote_addr or "", **access_headers(slug)},
        )
    except Invalid:
        return _render(
            page,
            slug,
            "form",
            422,
            email=email,
            chosen=chosen,
            error=_("That is not an email address we can send to."),
        )
    except Limited:
        return _render(
            page,
            slug,
            "form",
            429,
            email=email,
            chosen=chosen,
            error=_("Too many sign-ups at once; try again in a few minutes."),
        )
    except ApiUnavailable:
        return _render(
            page,
            slug,
            "form",
            503,
            email=email,
            chosen=chosen,
            error=_("Mail cannot be sent right now; try again later."),
        )
    return _render(page, slug, "sent", 202, email=email)


def _token() -> str:
    token = request.values.get("token", "")
    return token if 0 < len(token) <= TOKEN_MAX else ""


@bp.get("/s/<slug>/subscription/<any(confirm, unsubscribe):action>")
def ask(slug: str, action: str) -> ResponseReturnValue:
    """The page behind a mail's link: one button that does what the link says."""
    return _render(_page_or_404(slug), slug, action, token=_token())


@bp.post("/s/<slug>/subscription/confirm")
def confirm(slug: str) -> ResponseReturnValue:
    return _act(slug, "confirm", _("Your subscription is confirmed."))


@bp.post("/s/<slug>/subscription/unsubscribe")
def unsubscribe(slug: str) -> ResponseReturnValue:
    return _act(slug, "unsubscribe", _("You are unsubscribed and will get no more mail."))


def _act(slug: str, action: str, done: str) -> ResponseReturnValue:
    page = _page_or_404(slug)
    try:
        api().send("POST", f"/public/subscriptions/{action}", None, json={"token": _token()})
    except (Refused, Invalid):
        return _render(
            page,
            slug,
            "done",
            400,
            message=_("This link is not valid. Copy it whole from the mail."),
        )
    except ApiUnavailable:
        return _render(page, slug, "done", 503, message=_("Try again later."))
    return _render(page, slug, "done", message=done)
