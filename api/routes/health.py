"""GET /health: is this cell's API up, and can it reach its database?"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.deps import SettingsDep
from api.routes import PREFIX
from api.schemas import HealthOut

log = logging.getLogger(__name__)
router = APIRouter(prefix=PREFIX, tags=["health"])

DATABASE_TIMEOUT_S = 3.0  # a probe must answer even when the database hangs


async def database_ok(engine: AsyncEngine) -> bool:
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_S), engine.connect() as conn:
            await conn.execute(select(1))
    except Exception as exc:  # whatever the failure, the answer is "unavailable"
        log.warning("database unavailable", extra={"error": repr(exc)})
        return False
    return True


@router.get(
    "/health",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "database unavailable"}},
)
async def health(request: Request, settings: SettingsDep) -> JSONResponse:
    ok = await database_ok(request.app.state.engine)
    state: Literal["ok", "unavailable"] = "ok" if ok else "unavailable"
    body = HealthOut(status=state, cell=settings.cell, database=state)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
