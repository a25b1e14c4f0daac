"""`vigil frontend`: serve the web frontend with waitress."""

from __future__ import annotations

import logging

import waitress

from frontend.app import create_app
from shared import log as vigil_log
from shared import runtime
from shared.config import Settings

logger = logging.getLogger(__name__)


def run(settings: Settings) -> None:
    vigil_log.setup("frontend", settings.log_level, settings.log_format)
    app = create_app(settings)
    logger.info(
        "frontend starting",
        extra={
            "listen": f"{settings.frontend_host}:{settings.frontend_port}",
            "api_url": settings.api_url,
        },
    )
    runtime.stop_on_sigterm()
    try:
        waitress.serve(app, host=settings.frontend_host, port=settings.frontend_port, ident="vigil")
    finally:
        app.extensions["vigil_api"].close()
