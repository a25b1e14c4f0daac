"""A per-session CSRF token, put in every form and checked on every POST."""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, request, session

SESSION_KEY = "csrf"
FORM_FIELD = "csrf_token"
# POSTs that carry their own authority and come from no form of ours: RFC 8058's one-click
# unsubscribe, which a mail client POSTs to the link in List-Unsubscribe (the signed token
# in the URL is what allows it).
EXEMPT = frozenset({"subscriptions.unsubscribe"})


def token() -> str:
    """This session's token, made on first use."""
    value = session.get(SESSION_KEY)
    if not isinstance(value, str):
        value = secrets.token_urlsafe(32)
        session[SESSION_KEY] = value
    return value


def check() -> None:
    """Refuse (400) a state-changing request that does not carry this session's token."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint in EXEMPT:
        return
    expected = session.get(SESSION_KEY)
    sent = request.form.get(FORM_FIELD, "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), sent.encode()):
        abort(400, description="csrf")


def init_app(app: Flask) -> None:
    app.before_request(check)
    app.jinja_env.globals["csrf_token"] = token
