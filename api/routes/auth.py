"""Sign-up and log-in. Log-in answers a bearer token for the other endpoints.

These routes take the engine, not a request-long connection: argon2 is slow on purpose,
and a burst of log-ins must not hold the whole pool while it hashes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from api import security
from api.deps import EngineDep, SettingsDep
from api.routes import PREFIX
from api.schemas import AccountOut, ErrorOut, LoginIn, SignupIn, TokenOut
from shared.tables import accounts

router = APIRouter(prefix=f"{PREFIX}/auth", tags=["auth"])

WRONG_CREDENTIALS = "wrong email or password"


async def _hashing(request: Request, func: Callable[..., Any], *args: Any) -> Any:
    # argon2 takes tens of milliseconds and 64 MiB per hash: off the event loop, and only
    # a few at a time so a burst of log-ins cannot exhaust memory.
    limiter = request.app.state.hash_limiter
    return await anyio.to_thread.run_sync(func, *args, limiter=limiter)


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    response_model=AccountOut,
    responses={409: {"model": ErrorOut, "description": "email already taken"}},
)
async def signup(body: SignupIn, request: Request, engine: EngineDep) -> AccountOut:
    email = body.email.lower()
    password_hash = await _hashing(request, security.hash_password, body.password)
    query = (
        insert(accounts)
        .values(email=email, password_hash=password_hash)
        .on_conflict_do_nothing(index_elements=[accounts.c.email])
        .returning(accounts.c.id, accounts.c.email, accounts.c.created_at)
    )
    async with engine.begin() as conn:
        row = (await conn.execute(query)).first()
    if row is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "an account with this email already exists")
    return AccountOut(id=row.id, email=row.email, created_at=row.created_at)


@router.post(
    "/login",
    response_model=TokenOut,
    responses={401: {"model": ErrorOut, "description": WRONG_CREDENTIALS}},
)
async def login(
    body: LoginIn, request: Request, engine: EngineDep, settings: SettingsDep
) -> TokenOut:
    query = select(accounts.c.id, accounts.c.password_hash).where(
        accounts.c.email == body.email.lower()
    )
    async with engine.connect() as conn:
        row = (await conn.execute(query)).first()
    if row is None:
        # Spend the same time as a real check, so timing does not tell who has an account.
        await _hashing(request, security.spend_verify, body.password)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, WRONG_CREDENTIALS)
    if not await _hashing(request, security.verify_password, row.password_hash, body.password):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, WRONG_CREDENTIALS)
    if security.needs_rehash(row.password_hash):
        await _rehash(request, engine, row.id, body.password)
    token = security.issue_token(row.id, settings)
    return TokenOut(access_token=token, expires_in=settings.token_ttl_s)


async def _rehash(request: Request, engine: EngineDep, account_id: int, password: str) -> None:
    """Upgrade a hash made with older parameters, now that we hold the password."""
    new_hash = await _hashing(request, security.hash_password, password)
    query = update(accounts).where(accounts.c.id == account_id).values(password_hash=new_hash)
    async with engine.begin() as conn:
        await conn.execute(query)
