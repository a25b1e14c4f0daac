"""`vigil api`: serve one cell's REST API with uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from api.app import create_app
from shared import log
from shared.config import DEV_SECRET, Settings

logger = logging.getLogger(__name__)


def run(settings: Settings) -> None:
    """Serve the API on settings.api_host:api_port until interrupted."""
    log.setup("api", settings.log_level, settings.log_format)
    logger.info("api starting", extra={"settings": settings.public()})
    if settings.secret_key == DEV_SECRET:
        logger.warning("VIGIL_SECRET_KEY is the development default: anyone can forge tokens")
    # log_config=None keeps the structured logging set up above for uvicorn's loggers too.
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        server_header=False,
    )
