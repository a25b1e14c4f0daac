"""What routes receive: the settings, a database connection, the caller's account id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.security import TokenError, verify_token
from shared.config import Settings
from shared.tables import accounts


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_engine(request: Request) -> AsyncEngine:
    return request.app.state.engine


async def get_conn(request: Request) -> AsyncIterator[AsyncConnection]:
    """One connection per request; routes that write commit it themselves."""
    async with request.app.state.engine.connect() as conn:
        yield conn


SettingsDep = Annotated[Settings, Depends(get_settings)]
# For routes that should not hold a pooled connection while they do slow work of their own.
EngineDep = Annotated[AsyncEngine, Depends(get_engine)]
Conn = Annotated[AsyncConnection, Depends(get_conn)]

_bearer = HTTPBearer(auto_error=False, description="the access_token from /auth/login")


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def current_account(
    settings: SettingsDep,
    conn: Conn,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> int:
    """The caller's account id, from a valid token of this cell naming an existing account."""
    if credentials is None:
        raise unauthorized("not authenticated")
    try:
        account_id = verify_token(credentials.credentials, settings)
    except TokenError as exc:
        raise unauthorized(str(exc)) from None
    # A signed token outlives a deleted account; it must not outlive it here.
    found = await conn.scalar(select(accounts.c.id).where(accounts.c.id == account_id))
    if found is None:
        raise unauthorized("invalid token")
    return account_id


AccountId = Annotated[int, Depends(current_account)]
