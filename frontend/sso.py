"""Single sign-on, the browser's half: send the user to the provider with state, nonce and
a PKCE challenge kept in the session, and on the way back check the state before the API
(which holds the client secret) exchanges the code and checks the ID token."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from frontend.api_client import ApiError, Invalid, NotFound, Unauthorized
from frontend.auth import api, remember_me, start_over
from shared.config import OidcProvider

bp = Blueprint("sso", __name__)
FLOW_KEY = "oidc_flow"  # one flow at a time: a newer click replaces the older's state


def providers() -> tuple[OidcProvider, ...]:
    return tuple(current_app.config.get("VIGIL_OIDC_PROVIDERS", ()))


def _provider(name: str) -> OidcProvider:
    found = next((p for p in providers() if p.name == name), None)
    if found is None:
        abort(404)
    return found


def _discover(provider: OidcProvider) -> tuple[str, str] | None:
    """The provider's authorization endpoint and the scopes to ask it for."""
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        doc = httpx.get(url, timeout=5.0).raise_for_status().json()
    except (httpx.HTTPError, ValueError):
        return None
    endpoint = doc.get("authorization_endpoint") if isinstance(doc, dict) else None
    if not isinstance(endpoint, str) or not endpoint.startswith("http"):
        return None
    scopes = "openid email profile"
    # Many providers send the group claim only to those who ask for its scope, and refuse
    # a scope they do not list: ask for it when roles hang on it and the provider has it.
    supported = doc.get("scopes_supported")
    if provider.roles and isinstance(supported, list) and provider.groups_claim in supported:
        scopes += " " + provider.groups_claim
    return endpoint, scopes


@bp.get("/login/sso/<name>")
def start(name: str) -> ResponseReturnValue:
    provider = _provider(name)
    found = _discover(provider)
    if found is None:
        return refused("provider")
    endpoint, scopes = found
    flow = {
        "provider": name,
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "verifier": secrets.token_urlsafe(48),
    }
    session[FLOW_KEY] = flow
    query = urlencode(
        {
            "response_type": "code",
            "client_id": provider.client_id,
            "scope": scopes,
            "redirect_uri": _redirect_uri(name),
            "state": flow["state"],
            "nonce": flow["nonce"],
            "code_challenge": create_s256_code_challenge(flow["verifier"]),
            "code_challenge_method": "S256",
        }
    )
    return redirect(f"{endpoint}?{query}")


def _redirect_uri(name: str) -> str:
    return url_for("sso.callback", name=name, _external=True)


@bp.get("/login/sso/<name>/callback")
def callback(name: str) -> ResponseReturnValue:
    _provider(name)
    flow: Any = session.pop(FLOW_KEY, None)
    state = request.args.get("state", "")
    # The state ties this answer to a click in this browser: without it, an attacker's
    # code could log the victim into the attacker's account (login CSRF).
    if (
        not isinstance(flow, dict)
        or flow.get("provider") != name
        or not state
        or not secrets.compare_digest(str(flow.get("state")), state)
    ):
        return refused("state")
    if request.args.get("error") or not request.args.get("code"):
        return refused("denied")
    try:
        body = api().send(
            "POST",
            f"/auth/oidc/{name}/login",
            None,
            json={
                "code": request.args["code"],
                "redirect_uri": _redirect_uri(name),
                "code_verifier": flow["verifier"],
                "nonce": flow["nonce"],
            },
        )
    except Unauthorized as exc:
        return refused(_reason(exc))
    except (Invalid, NotFound):
        return refused("code")
    except ApiError:
        return refused("provider")
    start_over(body["access_token"])
    remember_me(body["access_token"], None)
    return redirect(url_for("dashboard.show"))


def _reason(exc: Unauthorized) -> str:
    return exc.detail or "token"


def reasons() -> dict[str, str]:
    return {
        "state": _(
            "The log-in answer does not belong to this browser's log-in (its state "
            "does not match). Start again from the log-in page."
        ),
        "nonce": _(
            "The provider's token was not issued for this log-in (its nonce does not match)."
        ),
        "issuer": _("The token was not issued by the configured provider (wrong issuer)."),
        "audience": _("The token was issued for another application (wrong audience)."),
        "email_unverified": _(
            "The provider has not verified your email address, so it "
            "cannot be matched to an account."
        ),
        "signup_closed": _(
            "There is no account with this email address, and sign-up is not open to it."
        ),
        "denied": _("The provider did not log you in."),
        "provider": _("The provider could not be reached or gave an unusable answer."),
    }


def refused(reason: str) -> ResponseReturnValue:
    text = reasons().get(reason) or _("The provider's token could not be verified.")
    return render_template("sso_refused.html", reason=reason, text=text), 401
