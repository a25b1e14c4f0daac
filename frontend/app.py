"""The frontend's Flask application factory."""

from __future__ import annotations

from flask import Flask, Response, session

from frontend import csrf, errors, formatting, i18n, metrics
from frontend.account import bp as account_bp
from frontend.api_client import API_TIMEOUT_S, ApiClient
from frontend.auth import OPERATOR_KEY, current_role, current_token, may
from frontend.auth import bp as auth_bp
from frontend.channels import bp as channels_bp
from frontend.dashboard import bp as dashboard_bp
from frontend.files import bp as files_bp
from frontend.incidents import bp as incidents_bp
from frontend.manage import bp as manage_bp
from frontend.monitor_page import bp as monitor_page_bp
from frontend.page_access import bp as page_access_bp
from frontend.page_brand import CSP
from frontend.page_incidents import bp as page_incidents_bp
from frontend.page_subscribers import bp as page_subscribers_bp
from frontend.public import TtlCache
from frontend.public import bp as public_bp
from frontend.resources import bp as resources_bp
from frontend.signup import bp as signup_bp
from frontend.sso import bp as sso_bp
from frontend.sso import providers as sso_providers
from frontend.subscriptions import bp as subscriptions_bp
from frontend.system import bp as system_bp
from frontend.team import bp as team_bp
from shared.config import Settings


def create_app(settings: Settings, api_timeout_s: float = API_TIMEOUT_S) -> Flask:
    """A frontend talking to the API at settings.api_url."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="vigil_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=64 * 1024,  # small forms are all anyone posts here
    )
    # Keep the served HTML tidy: block tags leave no blank lines behind.
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.extensions["vigil_api"] = ApiClient(settings.api_url, timeout_s=api_timeout_s)
    i18n.init_app(app)
    csrf.init_app(app)
    formatting.register(app)
    errors.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(auth_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(manage_bp)
    app.register_blueprint(monitor_page_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(subscriptions_bp)
    app.register_blueprint(page_access_bp)
    app.register_blueprint(page_subscribers_bp)
    app.register_blueprint(page_incidents_bp)
    app.register_blueprint(resources_bp)
    app.register_blueprint(incidents_bp)
    app.register_blueprint(channels_bp)
    app.register_blueprint(system_bp)
    app.register_blueprint(signup_bp)
    app.register_blueprint(team_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(sso_bp)
    app.config["VIGIL_OIDC_PROVIDERS"] = settings.oidc_providers
    app.config["VIGIL_API_URL"] = settings.api_url.rstrip("/")  # feed links of private pages
    app.register_blueprint(files_bp)
    app.extensions["vigil_public_cache"] = TtlCache()
    app.extensions["vigil_domain_cache"] = TtlCache()  # custom domain -> its page's slug
    app.add_url_rule("/healthz", "healthz", healthz)
    app.jinja_env.globals["logged_in"] = lambda: current_token() is not None
    app.jinja_env.globals["operator"] = lambda: session.get(OPERATOR_KEY) is True
    app.jinja_env.globals.update(may=may, current_role=current_role, sso_providers=sso_providers)
    app.after_request(security_headers)
    return app


def healthz() -> Response:
    """For probes: the process answers. It does not ask the API, whose health is its own."""
    return Response("ok", mimetype="text/plain")


def security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    # The language comes from the session or Accept-Language, so caches must key on both.
    response.vary.update(("Cookie", "Accept-Language"))
    return response
