"""Who may sign up at this cell: the operator's VIGIL_SIGNUP (open, domains, invite).

Whatever the mode, a cell with no account at all takes one sign-up: the first-run page
creates the operator's own account with it. Invitations are accepted in every mode.
"""

from __future__ import annotations

from fastapi import HTTPException, status
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.schemas import ErrorOut, Responses
from shared.config import Settings
from shared.tables import accounts

REFUSED: Responses = {
    403: {"model": ErrorOut, "description": "sign-up is closed or limited to domains"}
}


async def first_run(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        return not await conn.scalar(select(exists().where(accounts.c.id.isnot(None))))


def allows(settings: Settings, email: str) -> bool:
    """Whether the mode lets this (lower-cased) address sign up on its own."""
    if settings.signup == "open":
        return True
    if settings.signup == "domains":
        return email.rpartition("@")[2] in settings.signup_domains
    return False


async def check(engine: AsyncEngine, settings: Settings, email: str) -> None:
    """403 unless the mode allows the address or the cell is still empty."""
    if allows(settings, email) or await first_run(engine):
        return
    if settings.signup == "domains":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "sign-up is limited to addresses at " + ", ".join(sorted(settings.signup_domains)),
        )
    raise HTTPException(status.HTTP_403_FORBIDDEN, "sign-up is by invitation only")
