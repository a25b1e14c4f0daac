"""Log-in through an OpenID Connect provider: the frontend hands over the code it got back
in the browser, with the PKCE verifier and the nonce it kept in the session; the API checks
the ID token (api.oidc), then finds the log-in by its verified email or makes one as the
sign-up policy allows, and issues the same tokens a password log-in gets."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, status
from pydantic import Field
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from api import oidc, security, signup_policy
from api.auth_schemas import TokenOut
from api.deps import EngineDep, SettingsDep
from api.routes import PREFIX
from api.routes.auth import LIMITED, _hashing, _limit, issue_tokens
from api.schemas import ErrorOut, Input, Responses
from shared.config import OidcProvider, Settings
from shared.tables import accounts

router = APIRouter(prefix=f"{PREFIX}/auth/oidc", tags=["auth"])

_Text = Annotated[str, Field(min_length=1, max_length=2048, pattern=r"^[\x21-\x7e]+$")]


class OidcLoginIn(Input):
    code: _Text = Field(description="the authorization code the provider sent the browser")
    redirect_uri: _Text = Field(description="the redirect URI the code was sent to")
    code_verifier: Annotated[
        str, Field(min_length=43, max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")
    ]
    nonce: Annotated[str, Field(min_length=16, max_length=256, pattern=r"^[\x21-\x7e]+$")]


REFUSED: Responses = {
    401: {
        "model": ErrorOut,
        "description": "refused: the detail names the failed check "
        "(issuer, audience, nonce, token, code, subject, email_unverified, "
        "signup_closed, provider)",
    },
    404: {"model": ErrorOut, "description": "no such provider"},
}


def refused(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, reason)


@router.post("/{name}/login", response_model=TokenOut, responses={**REFUSED, **LIMITED})
async def oidc_login(
    body: OidcLoginIn,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    name: Annotated[str, Path(max_length=32, pattern=r"^[a-z0-9_-]+$")],
) -> TokenOut:
    provider = _provider(settings, name)
    _limit(request, "login")
    try:
        claims = await oidc.identity(
            provider, body.code, body.redirect_uri, body.code_verifier, body.nonce
        )
    except oidc.Refused as exc:
        raise refused(exc.reason) from None
    email = _verified_email(claims)
    role = _role(provider, claims)
    async with engine.begin() as conn:
        login_id = await _login_of(request, conn, settings, provider, email, role)
        return await issue_tokens(conn, login_id, settings)


def _provider(settings: Settings, name: str) -> OidcProvider:
    for provider in settings.oidc_providers:
        if provider.name == name:
            return provider
    raise HTTPException(status.HTTP_404_NOT_FOUND, "no such provider")


def _verified_email(claims: dict[str, Any]) -> str:
    # An unverified address proves nothing: anyone may type anyone's at some providers.
    email = claims.get("email")
    if claims.get("email_verified") is not True or not isinstance(email, str) or "@" not in email:
        raise refused("email_unverified")
    return email.strip().lower()


def _role(provider: OidcProvider, claims: dict[str, Any]) -> str:
    groups = claims.get(provider.groups_claim)
    groups = [groups] if isinstance(groups, str) else groups if isinstance(groups, list) else []
    for group, role in provider.roles:
        if group in groups:
            return role
    return "viewer"


async def _login_of(
    request: Request,
    conn: AsyncConnection,
    settings: Settings,
    provider: OidcProvider,
    email: str,
    role: str,
) -> int:
    """The log-in with this email; a provider with a team keeps its role in step with the
    groups. None yet: one is made, in the provider's team or as an account of its own."""
    row = (
        await conn.execute(
            select(accounts.c.id, accounts.c.owner_id).where(accounts.c.email == email)
        )
    ).first()
    team = await _team_id(conn, provider)
    if row is not None:
        if team is not None and row.owner_id == team:
            await conn.execute(update(accounts).where(accounts.c.id == row.id).values(role=role))
        return int(row.id)
    if team is None and not (
        signup_policy.allows(settings, email) or await signup_policy.first_run(conn.engine)
    ):
        raise refused("signup_closed")
    # No password: a random one nobody knows; "forgotten password" can set a real one.
    unusable = await _hashing(request, security.hash_password, secrets.token_urlsafe(32))
    values: dict[str, Any] = {"email": email, "password_hash": unusable}
    if team is not None:
        values.update(owner_id=team, role=role)
    return int(await conn.scalar(insert(accounts).values(**values).returning(accounts.c.id)))


async def _team_id(conn: AsyncConnection, provider: OidcProvider) -> int | None:
    if not provider.team:
        return None
    owner = await conn.scalar(
        select(accounts.c.id).where(
            accounts.c.email == provider.team, accounts.c.owner_id.is_(None)
        )
    )
    if owner is None:
        raise refused("signup_closed")  # the team's owner has not signed up yet
    return int(owner)
