"""The FastAPI application of one cell: routes under /api/v1, metrics at /metrics."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.types import Receive, Scope, Send

from api import openapi_doc, page_access
from api.allow import AllowMiddleware
from api.errors import validation_error
from api.metrics import Metrics, MetricsMiddleware
from api.notify import DeliveryPublisher
from api.page_domains import utc_now
from api.ping_writer import PingWriter
from api.pings import PREFIX as PING_PREFIX
from api.pings import PingGate
from api.public_cache import CacheInvalidator, FastPath, TtlCache
from api.ratelimit import AuthLimits
from api.routes import (
    PREFIX,
    announcements,
    api_keys,
    auth,
    bulk,
    channels,
    domain_proofs,
    health,
    incidents,
    maintenance,
    managed,
    manual_incidents,
    monitors,
    nodes,
    oidc,
    password_reset,
    public,
    public_access,
    public_domains,
    public_feeds,
    public_sign_in,
    public_subscriptions,
    results,
    stats,
    status_pages,
    subscribers,
    system,
    team,
    tests,
)
from api.secretbox import SecretBox
from shared import db
from shared.config import Settings
from shared.directory import Directory

VERSION = "1"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    app.state.engine = db.engine(settings.database_url)
    directory_engine = (
        db.engine(settings.directory_url, pool_size=2) if settings.directory_url else None
    )
    app.state.directory = Directory(directory_engine) if directory_engine else None
    # Made here, not in create_app: a limiter belongs to the running event loop.
    app.state.hash_limiter = anyio.CapacityLimiter(max(2, os.cpu_count() or 2))
    # Connects on first use (a channel test), so a broker away does not stop the API.
    app.state.deliveries = DeliveryPublisher(settings.amqp_url, settings.cell)
    app.state.ping_writer.directory = app.state.directory
    app.state.ping_writer.start()
    try:
        yield
    finally:
        await app.state.ping_writer.close()
        await app.state.deliveries.close()
        await app.state.engine.dispose()
        if directory_engine is not None:
            await directory_engine.dispose()


class CellApp(FastAPI):
    """The API, with heartbeat pings (`/ping/...`) taken before FastAPI: its routing, its
    middleware stack and response classes cost several times what a ping itself costs, and
    a cell takes thousands of pings a second (docs/PERFORMANCE.md, "Pings")."""

    ping_gate: PingGate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PING_PREFIX):
            await self.ping_gate(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings) -> FastAPI:
    """The API of the cell these settings describe; the engine opens with the lifespan."""
    app = CellApp(
        title=f"Vigil API (cell {settings.cell})",
        version=VERSION,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        swagger_ui_oauth2_redirect_url=f"{PREFIX}/docs/oauth2-redirect",
        redoc_url=None,
        lifespan=_lifespan,
        max_body_size=settings.max_body_bytes,
    )
    app.state.settings = settings
    app.state.directory = None  # opened with the lifespan when VIGIL_DIRECTORY_URL is set
    app.state.clock = utc_now  # the time of domain claims and proofs; tests move it
    app.state.auth_limits = AuthLimits(settings.auth_rate_per_ip, settings.auth_rate_per_email)
    app.state.subscribe_limits = AuthLimits(
        settings.subscribe_rate_per_ip, settings.subscribe_rate_per_email
    )
    # Per client and per page (the page's slug takes the place of an email).
    app.state.page_password_limits = AuthLimits(
        settings.page_password_rate_per_ip, settings.page_password_rate_per_page
    )
    app.add_exception_handler(RequestValidationError, validation_error)
    metrics = Metrics()
    app.state.metrics = metrics
    app.state.public_cache = TtlCache(settings.public_cache_ttl_s)
    app.add_middleware(
        CacheInvalidator,
        cache=app.state.public_cache,
        prefix=PREFIX,
        ignore=(f"{PREFIX}/auth/", f"{PREFIX}/public/"),
    )
    app.add_middleware(
        FastPath,
        cache=app.state.public_cache,
        prefix=public.PAGES,
        route=public.ROUTE,
        max_age=int(settings.public_cache_ttl_s),
        gate=page_access.gate(settings),
    )
    # Heartbeat pings are answered before FastAPI and its middleware (CellApp.__call__); the
    # writer connects to the broker on the first ping.
    app.state.ping_writer = PingWriter(
        settings.database_url, settings.amqp_url, settings.cell, settings.node_id, directory=None
    )
    app.ping_gate = PingGate(app.state.ping_writer, settings.ping_rate, metrics)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(AllowMiddleware, routes=lambda: openapi_doc.route_methods(app))
    app.add_route("/metrics", metrics.endpoint, include_in_schema=False)
    app.state.secret_box = SecretBox(settings.secret_key)
    for module in (
        health,
        auth,
        oidc,
        password_reset,
        team,
        api_keys,
        bulk,
        monitors,
        tests,
        results,
        stats,
        incidents,
        status_pages,
        subscribers,
        announcements,
        manual_incidents,
        domain_proofs,
        channels,
        maintenance,
        managed,
        public,
        public_feeds,
        public_subscriptions,
        public_access,
        public_sign_in,
        public_domains,
        nodes,
        system,
    ):
        app.include_router(module.router)
    openapi_doc.install(app)  # every status each operation answers, from one table
    return app
