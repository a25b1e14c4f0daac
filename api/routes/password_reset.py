"""The sign-up policy for the pages, and a forgotten password reset by email.

A reset request answers the same 202 whether the address has a log-in or not, and sends
the mail after the answer (a background task), so neither the words nor the time tell.
The link is signed over the current password hash (`security.reset_token`): it works
once, until it expires.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request, Response, status
from sqlalchemy import delete, select, update

from api import notify, security, signup_policy
from api.auth_schemas import ResetConfirmIn, ResetIn, SignupPolicyOut
from api.deps import EngineDep, SettingsDep
from api.routes import PREFIX
from api.routes.auth import LIMITED, _hashing, _limit, send_mail
from api.schemas import ErrorOut
from shared.tables import accounts, refresh_tokens

router = APIRouter(prefix=f"{PREFIX}/auth", tags=["auth"])

INVALID_LINK = "invalid or expired reset link"
SENT = "if the address has a log-in, a link to reset its password is on its way"


@router.get("/signup-policy", response_model=SignupPolicyOut)
async def policy(engine: EngineDep, settings: SettingsDep) -> SignupPolicyOut:
    """What the sign-up page offers: the mode, its domains, whether this is a first run, and
    whether a sign-up waits for its mailed link."""
    return SignupPolicyOut(
        mode=settings.signup,
        domains=sorted(settings.signup_domains),
        first_run=await signup_policy.first_run(engine),
        confirm=settings.signup_confirm,
    )


@router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED, responses=LIMITED)
async def request_reset(
    body: ResetIn,
    request: Request,
    background: BackgroundTasks,
    engine: EngineDep,
    settings: SettingsDep,
) -> dict[str, str]:
    email = body.email.lower()
    _limit(request, "password-reset", email)
    query = select(accounts.c.id, accounts.c.password_hash, accounts.c.language).where(
        accounts.c.email == email
    )
    async with engine.connect() as conn:
        row = (await conn.execute(query)).first()
    if row is not None:
        token = security.reset_token(row.id, row.password_hash, settings)
        expires = datetime.now(UTC) + timedelta(seconds=settings.reset_ttl_s)
        mail = notify.account_mail(
            "password_reset",
            f"reset/{row.id}/{token.split('.')[1]}",
            email,
            email,
            f"{settings.frontend_url}/reset/{token}",
            row.language,
            expires,
        )
        background.add_task(send_mail, request, mail)
    return {"detail": SENT}


@router.post(
    "/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={401: {"model": ErrorOut, "description": INVALID_LINK}, **LIMITED},
)
async def confirm_reset(
    body: ResetConfirmIn, request: Request, engine: EngineDep, settings: SettingsDep
) -> Response:
    """Set the new password; every token issued before stops working."""
    _limit(request, "password-reset-confirm")
    named = security.reset_login(body.token)
    if named is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, INVALID_LINK)
    async with engine.connect() as conn:
        current = await conn.scalar(
            select(accounts.c.password_hash).where(accounts.c.id == named[0])
        )
    if current is None or not security.reset_valid(body.token, current, settings):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, INVALID_LINK)
    new_hash = await _hashing(request, security.hash_password, body.password)
    async with engine.begin() as conn:
        # Only if the hash is still the one signed: of two uses at once, one wins.
        changed = await conn.execute(
            update(accounts)
            .where(accounts.c.id == named[0], accounts.c.password_hash == current)
            .values(password_hash=new_hash, tokens_after=datetime.now(UTC))
        )
        if changed.rowcount == 0:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, INVALID_LINK)
        await conn.execute(delete(refresh_tokens).where(refresh_tokens.c.login_id == named[0]))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
