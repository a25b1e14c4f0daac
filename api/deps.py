"""What routes receive: the settings, a database connection, and who is calling.

Roles rank viewer < editor < owner. Every route that changes anything takes
`EditorAccountId` (or `OwnerCaller`), so a viewer is refused before the route runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.security import API_KEY_PREFIX, TokenError, digest, verify_token_claims
from shared.config import Settings
from shared.tables import accounts, api_keys

ROLES = ("viewer", "editor", "owner")
RANK = {role: rank for rank, role in enumerate(ROLES)}


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

_bearer = HTTPBearer(
    auto_error=False, description="the access_token from /auth/login, or an API key"
)


@dataclass(frozen=True)
class Caller:
    """Who sent a request: their log-in, the account they act in, and their role in it."""

    login_id: int
    account_id: int
    role: str
    frozen: bool  # the account is moving to another cell


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )


_owner = accounts.alias("owner")
_CALLER = (
    accounts.c.id,
    func.coalesce(accounts.c.owner_id, accounts.c.id).label("account_id"),
    accounts.c.role,
    accounts.c.tokens_after,
    _owner.c.frozen,
)
_FROM = accounts.join(_owner, _owner.c.id == func.coalesce(accounts.c.owner_id, accounts.c.id))


LAST_USED_EVERY = timedelta(minutes=1)


async def _by_api_key(conn: AsyncConnection, key: str) -> Caller:
    query = (
        select(
            api_keys.c.id,
            api_keys.c.login_id,
            api_keys.c.account_id,
            api_keys.c.role,
            api_keys.c.last_used_at,
            accounts.c.frozen,
        )
        .join(accounts, accounts.c.id == api_keys.c.account_id)
        .where(api_keys.c.key_hash == digest(key))
    )
    row = (await conn.execute(query)).first()
    if row is None:
        raise unauthorized("invalid API key")
    await _note_use(conn, row.id, row.last_used_at)
    return Caller(row.login_id, row.account_id, row.role, row.frozen)


async def _note_use(conn: AsyncConnection, key_id: int, last: datetime | None) -> None:
    """Stamp the key's last use, at most once a minute: a script polling every second
    must not turn each read into a write."""
    now = datetime.now(UTC)
    if last is not None and now - last < LAST_USED_EVERY:
        return
    await conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=now))
    await conn.commit()  # its own transaction: the route's work starts a new one


async def _by_token(conn: AsyncConnection, token: str, settings: Settings) -> Caller:
    try:
        login_id, issued_at = verify_token_claims(token, settings)
    except TokenError as exc:
        raise unauthorized(str(exc)) from None
    # A signed token outlives a deleted log-in or a password change; it must not here.
    row = (
        await conn.execute(select(*_CALLER).select_from(_FROM).where(accounts.c.id == login_id))
    ).first()
    if row is None:
        raise unauthorized("invalid token")
    if row.tokens_after is not None and issued_at < row.tokens_after.timestamp():
        raise unauthorized("token revoked")
    return Caller(row.id, row.account_id, row.role, row.frozen)


async def current_caller(
    settings: SettingsDep,
    conn: Conn,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The caller, from a valid token of this cell or an API key of this cell."""
    if credentials is None:
        raise unauthorized("not authenticated")
    credential = credentials.credentials
    if credential.startswith(API_KEY_PREFIX):
        return await _by_api_key(conn, credential)
    return await _by_token(conn, credential, settings)


CallerDep = Annotated[Caller, Depends(current_caller)]


async def current_account(caller: CallerDep) -> int:
    """The id of the account the caller acts in, whatever their role: for reading."""
    return caller.account_id


def require(caller: Caller, role: str) -> Caller:
    if RANK[caller.role] < RANK[role]:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the {role} role")
    if caller.frozen:
        # Writes made now would be left behind by the move; reads still work.
        raise HTTPException(
            status.HTTP_423_LOCKED, "the account is moving to another cell; try again shortly"
        )
    return caller


async def editor_account(caller: CallerDep) -> int:
    """The caller's account id, if they may change things in it (editor or owner)."""
    return require(caller, "editor").account_id


async def owner_caller(caller: CallerDep) -> Caller:
    return require(caller, "owner")


async def editor_caller(caller: CallerDep) -> Caller:
    return require(caller, "editor")


AccountId = Annotated[int, Depends(current_account)]


async def is_operator(conn: AsyncConnection, settings: Settings, account_id: int) -> bool:
    """Whether the account is one of the operator's (VIGIL_ADMIN_EMAILS)."""
    email = await conn.scalar(select(accounts.c.email).where(accounts.c.id == account_id))
    return email is not None and email.lower() in settings.admin_emails


async def admin_account(account_id: AccountId, conn: Conn, settings: SettingsDep) -> int:
    """The caller's account id, if it is an operator's; anyone else gets a 403."""
    if not await is_operator(conn, settings, account_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this is for operators")
    return account_id


AdminAccountId = Annotated[int, Depends(admin_account)]
EditorAccountId = Annotated[int, Depends(editor_account)]
EditorCaller = Annotated[Caller, Depends(editor_caller)]
OwnerCaller = Annotated[Caller, Depends(owner_caller)]
