"""Sign-up, log-in, refresh, password change, invitations accepted, and who am I.

These routes take the engine, not a request-long connection: argon2 is slow on purpose,
and a burst of log-ins must not hold the whole pool while it hashes. Sign-up, log-in,
refresh and accepting an invitation are rate-limited per client IP and per email.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, BackgroundTasks, HTTPException, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from api import cells, notify, security, signup_policy
from api.auth_schemas import (
    AcceptInviteIn,
    CellOut,
    LocateIn,
    MeOut,
    MePatch,
    PasswordChangeIn,
    RefreshIn,
    SignupConfirmIn,
    SignupSentOut,
    TokenOut,
)
from api.deps import CallerDep, EngineDep, SettingsDep, is_operator
from api.routes import PREFIX
from api.schemas import AccountOut, ErrorOut, LoginIn, Responses, SignupIn
from shared.config import Settings
from shared.delivery_message import LANGUAGES
from shared.directory import Taken, choose_cell
from shared.tables import accounts, invitations, refresh_tokens

router = APIRouter(prefix=f"{PREFIX}/auth", tags=["auth"])
log = logging.getLogger(__name__)

WRONG_CREDENTIALS = "wrong email or password"
LIMITED: Responses = {429: {"model": ErrorOut, "description": "too many attempts; see Retry-After"}}
TAKEN: Responses = {409: {"model": ErrorOut, "description": "email already taken"}}


async def _hashing(request: Request, func: Callable[..., Any], *args: Any) -> Any:
    # argon2 takes tens of milliseconds and 64 MiB per hash: off the event loop, and only
    # a few at a time so a burst of log-ins cannot exhaust memory.
    limiter = request.app.state.hash_limiter
    return await anyio.to_thread.run_sync(func, *args, limiter=limiter)


def _limit(request: Request, action: str, email: str | None = None) -> None:
    request.app.state.auth_limits.check(request, action, email)


def taken() -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, "an account with this email already exists")


SIGNUP_SENT = (
    "check the mail of this address: if it may sign up, a link that makes its "
    "account is on its way; if it has an account already, a note saying so"
)
INVALID_SIGNUP_LINK = "invalid, used or expired sign-up link"


@router.post(
    "/signup",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SignupSentOut,
    responses={
        **LIMITED,
        **signup_policy.REFUSED,
        202: {
            "description": "the one answer to a free address and to one "
            "with a log-in: a mail follows"
        },
        201: {
            "model": AccountOut,
            "description": "first run: the operator's account, made at once",
        },
        307: {"description": "sign up at this cell instead"},
        503: {"model": ErrorOut, "description": "no cell takes accounts"},
    },
)
async def signup(
    body: SignupIn,
    request: Request,
    background: BackgroundTasks,
    engine: EngineDep,
    settings: SettingsDep,
) -> Response | SignupSentOut:
    """The same answer whether the address is free or has a log-in, so sign-up tells no one
    which addresses have an account: a 202, and a mail after it. A free address is sent the
    link that makes the account (VIGIL_SIGNUP_CONFIRM; without it the account is made at
    once); one with a log-in is sent a note that someone tried, and nothing is made.

    A cell with no account yet (the first run) makes the operator's account at once: 201.
    With several cells, the directory names the cell: here, or a 307 to it.
    """
    email = body.email.lower()
    _limit(request, "signup", email)
    await signup_policy.check(engine, settings, email)
    # Hashed on every path, so the time of the answer does not tell either.
    password_hash = await _hashing(request, security.hash_password, body.password)
    directory = cells.directory(request)
    if directory is not None:
        # Both looked up whichever is needed: the same work for a taken and a free address.
        placed, candidates = await directory.locate(email), await directory.cells()
        cell = placed or choose_cell(candidates)
        if cell is None:
            raise cells.no_room()
        if cell.name != settings.cell:
            return RedirectResponse(f"{cell.api_url}{PREFIX}/auth/signup", status_code=307)
    made = None
    if await signup_policy.first_run(engine):
        made = await _make_account(request, engine, settings.cell, email, password_hash)
        if made is not None:
            return JSONResponse(jsonable_encoder(made), status.HTTP_201_CREATED)
    elif not settings.signup_confirm:
        made = await _make_account(request, engine, settings.cell, email, password_hash)
    background.add_task(
        _signup_mail, request, engine, settings, email, password_hash, made is not None
    )
    return SignupSentOut(detail=SIGNUP_SENT)


async def _make_account(
    request: Request, engine: EngineDep, here: str, email: str, password_hash: str
) -> AccountOut | None:
    """The account, recorded in the directory (if any) and here; None if the address has a
    log-in already."""
    directory = cells.directory(request)
    if directory is not None:
        try:
            await directory.record(email, here)
        except Taken:
            return None
    query = (
        pg_insert(accounts)
        .values(email=email, password_hash=password_hash)
        .on_conflict_do_nothing(index_elements=[accounts.c.email])
        .returning(accounts.c.id, accounts.c.email, accounts.c.created_at)
    )
    async with engine.begin() as conn:
        row = (await conn.execute(query)).first()
    return (
        None if row is None else AccountOut(id=row.id, email=row.email, created_at=row.created_at)
    )


async def _signup_mail(
    request: Request,
    engine: EngineDep,
    settings: Settings,
    email: str,
    password_hash: str,
    made: bool,
) -> None:
    """After the answer: the link to a free address, the note to one with a log-in."""
    if made:
        return
    async with engine.connect() as conn:
        language = await conn.scalar(select(accounts.c.language).where(accounts.c.email == email))
    nonce = secrets.token_hex(8)
    if language is not None:
        mail = notify.account_mail(
            "signup_taken",
            f"signup-taken/{nonce}",
            email,
            email,
            f"{settings.frontend_url}/login",
            language,
            None,
        )
    elif settings.signup_confirm:
        token = security.signup_token(email, password_hash, settings)
        expires = datetime.now(UTC) + timedelta(seconds=settings.reset_ttl_s)
        mail = notify.account_mail(
            "signup_confirm",
            f"signup/{nonce}",
            email,
            email,
            f"{settings.frontend_url}/activate/{token}",
            _language(request),
            expires,
        )
    else:
        return
    await send_mail(request, mail)


def _language(request: Request) -> str:
    """The sign-up's language, as the browser (through the frontend) asks for it."""
    wanted = request.headers.get("accept-language", "")
    for part in wanted.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


async def send_mail(request: Request, body: bytes) -> None:
    """Hand a mail to the notifier; a broker that is away costs this mail, logged."""
    try:
        await request.app.state.deliveries.publish(body)
    except Exception as exc:  # after the answer: nobody to tell but the log
        log.warning("account mail not queued", extra={"error": str(exc)})


@router.post(
    "/signup/confirm",
    response_model=TokenOut,
    responses={
        401: {"model": ErrorOut, "description": INVALID_SIGNUP_LINK},
        **LIMITED,
        **signup_policy.REFUSED,
    },
)
async def confirm_signup(
    body: SignupConfirmIn, request: Request, engine: EngineDep, settings: SettingsDep
) -> TokenOut:
    """Follow the mailed link: the account is made, logged in. The link works once."""
    _limit(request, "signup-confirm")
    claims = security.signup_claims(body.token, settings)
    if claims is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, INVALID_SIGNUP_LINK)
    email, password_hash = claims
    await signup_policy.check(engine, settings, email)  # the operator may have closed it since
    made = await _make_account(request, engine, settings.cell, email, password_hash)
    if made is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, INVALID_SIGNUP_LINK)
    async with engine.begin() as conn:
        return await issue_tokens(conn, made.id, settings)


@router.post("/locate", response_model=CellOut, responses=LIMITED)
async def locate(body: LocateIn, request: Request, settings: SettingsDep) -> CellOut:
    """Which cell's API to log in (or sign up) at with this email.

    An unknown email gets the cell a sign-up would go to, not a "no such account".
    """
    _limit(request, "locate")
    here = CellOut(cell=settings.cell, api_url=settings.api_url)
    directory = cells.directory(request)
    if directory is None:
        return here
    cell = await directory.locate(body.email.lower())
    if cell is None:
        cell = choose_cell(await directory.cells())
    return here if cell is None else CellOut(cell=cell.name, api_url=cell.api_url)


async def issue_tokens(conn: AsyncConnection, login_id: int, settings: Settings) -> TokenOut:
    """A new access token and a new refresh token (stored hashed) for this log-in."""
    refresh, refresh_hash = security.new_secret(security.REFRESH_PREFIX)
    expires = datetime.now(UTC) + timedelta(seconds=settings.refresh_ttl_s)
    await conn.execute(
        insert(refresh_tokens).values(
            login_id=login_id, token_hash=refresh_hash, expires_at=expires
        )
    )
    return TokenOut(
        access_token=security.issue_token(login_id, settings),
        expires_in=settings.token_ttl_s,
        refresh_token=refresh,
        refresh_expires_in=settings.refresh_ttl_s,
    )


@router.post(
    "/login",
    response_model=TokenOut,
    responses={401: {"model": ErrorOut, "description": WRONG_CREDENTIALS}, **LIMITED},
)
async def login(
    body: LoginIn, request: Request, engine: EngineDep, settings: SettingsDep
) -> TokenOut:
    email = body.email.lower()
    _limit(request, "login", email)
    query = select(accounts.c.id, accounts.c.password_hash).where(accounts.c.email == email)
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
    async with engine.begin() as conn:
        return await issue_tokens(conn, row.id, settings)


async def _rehash(request: Request, engine: EngineDep, account_id: int, password: str) -> None:
    """Upgrade a hash made with older parameters, now that we hold the password."""
    new_hash = await _hashing(request, security.hash_password, password)
    query = update(accounts).where(accounts.c.id == account_id).values(password_hash=new_hash)
    async with engine.begin() as conn:
        await conn.execute(query)


@router.post(
    "/refresh",
    response_model=TokenOut,
    responses={
        401: {"model": ErrorOut, "description": "unknown, used or expired refresh token"},
        **LIMITED,
    },
)
async def refresh(
    body: RefreshIn, request: Request, engine: EngineDep, settings: SettingsDep
) -> TokenOut:
    """A refresh token works once: it is exchanged for a new pair."""
    _limit(request, "refresh")
    spent = (
        delete(refresh_tokens)
        .where(
            refresh_tokens.c.token_hash == security.digest(body.refresh_token),
            refresh_tokens.c.expires_at > func.now(),
        )
        .returning(refresh_tokens.c.login_id)
    )
    async with engine.begin() as conn:
        login_id = await conn.scalar(spent)
        if login_id is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid refresh token")
        return await issue_tokens(conn, login_id, settings)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(body: RefreshIn, engine: EngineDep) -> Response:
    """Forget a refresh token; unknown ones are forgotten too (nothing to tell)."""
    async with engine.begin() as conn:
        await conn.execute(
            delete(refresh_tokens).where(
                refresh_tokens.c.token_hash == security.digest(body.refresh_token)
            )
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/password",
    response_model=TokenOut,
    responses={401: {"model": ErrorOut, "description": "wrong current password"}},
)
async def change_password(
    body: PasswordChangeIn,
    caller: CallerDep,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
) -> TokenOut:
    """Every token issued before, access and refresh, stops working; a new pair is given."""
    async with engine.connect() as conn:
        current = await conn.scalar(
            select(accounts.c.password_hash).where(accounts.c.id == caller.login_id)
        )
    if not await _hashing(request, security.verify_password, current, body.current_password):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong current password")
    new_hash = await _hashing(request, security.hash_password, body.new_password)
    async with engine.begin() as conn:
        # This process's clock, as the token below is issued by it: that one stays valid.
        await conn.execute(
            update(accounts)
            .where(accounts.c.id == caller.login_id)
            .values(password_hash=new_hash, tokens_after=datetime.now(UTC))
        )
        await conn.execute(
            delete(refresh_tokens).where(refresh_tokens.c.login_id == caller.login_id)
        )
        return await issue_tokens(conn, caller.login_id, settings)


@router.get("/me", response_model=MeOut)
async def me(caller: CallerDep, engine: EngineDep, settings: SettingsDep) -> MeOut:
    async with engine.connect() as conn:
        return await _me(conn, caller, settings)


@router.patch("/me", response_model=MeOut)
async def change_me(
    body: MePatch, caller: CallerDep, engine: EngineDep, settings: SettingsDep
) -> MeOut:
    """Choose this log-in's language (its pages and notifications; the owner's serves the
    account) and time zone."""
    changes = body.model_dump(exclude_none=True)
    async with engine.begin() as conn:
        if changes:
            await conn.execute(
                update(accounts).where(accounts.c.id == caller.login_id).values(**changes)
            )
        return await _me(conn, caller, settings)


async def _me(conn: AsyncConnection, caller: Any, settings: Settings) -> MeOut:
    row = (
        await conn.execute(
            select(
                accounts.c.email, accounts.c.created_at, accounts.c.language, accounts.c.time_zone
            ).where(accounts.c.id == caller.login_id)
        )
    ).one()
    # Decided as the admin routes decide (deps.admin_account): by the account acted in, so
    # a member of the operator's account is an admin there as its owner is.
    return MeOut(
        id=caller.login_id,
        email=row.email,
        role=caller.role,
        account_id=caller.account_id,
        created_at=row.created_at,
        language=row.language,
        time_zone=row.time_zone,
        is_admin=await is_operator(conn, settings, caller.account_id),
    )


@router.post(
    "/accept-invite",
    status_code=status.HTTP_201_CREATED,
    response_model=AccountOut,
    responses={
        401: {"model": ErrorOut, "description": "unknown or expired invitation"},
        **TAKEN,
        **LIMITED,
    },
)
async def accept_invite(body: AcceptInviteIn, request: Request, engine: EngineDep) -> AccountOut:
    """Become a member of the inviting account, with the invitation's role."""
    _limit(request, "accept-invite")
    password_hash = await _hashing(request, security.hash_password, body.password)
    spent = (
        delete(invitations)
        .where(
            invitations.c.token_hash == security.digest(body.token),
            invitations.c.expires_at > func.now(),
        )
        .returning(invitations.c.account_id, invitations.c.email, invitations.c.role)
    )
    async with engine.begin() as conn:
        invite = (await conn.execute(spent)).first()
        if invite is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid invitation")
        await _register_member(request, conn, invite.email, invite.account_id)
        row = (
            await conn.execute(
                pg_insert(accounts)
                .values(
                    email=invite.email,
                    password_hash=password_hash,
                    owner_id=invite.account_id,
                    role=invite.role,
                )
                .on_conflict_do_nothing(index_elements=[accounts.c.email])
                .returning(accounts.c.id, accounts.c.email, accounts.c.created_at)
            )
        ).first()
        if row is None:
            raise taken()  # rolls back: the invitation stays usable
    return AccountOut(id=row.id, email=row.email, created_at=row.created_at)


async def _register_member(
    request: Request, conn: AsyncConnection, email: str, account_id: int
) -> None:
    """Tell the directory this log-in lives with its account; 409 if it is taken."""
    directory = cells.directory(request)
    if directory is None:
        return
    try:
        await directory.add_login(email, await cells.owner_email(conn, account_id))
    except Taken:
        raise taken() from None
