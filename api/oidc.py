"""OpenID Connect, the API's half: exchange the frontend's code at the provider (with the
PKCE verifier and the client secret, which only the API holds) and check the ID token's
signature, issuer, audience, expiry and nonce before any account is touched.

The frontend keeps the browser's half (state, the redirect); the API never trusts an
identity the frontend merely reports, so a frontend bug cannot log anyone in.
"""

from __future__ import annotations

from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import ClaimError, JoseError
from joserfc.jwk import KeySet

from shared.config import OidcProvider

TIMEOUT_S = 10.0
ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"]  # asymmetric only: no "none", no HS*


class Refused(Exception):
    """The log-in is refused; `reason` names which check failed, for the frontend's page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def discover(http: httpx.AsyncClient, provider: OidcProvider) -> dict[str, Any]:
    """The provider's discovery document; its issuer must be the configured one exactly
    (OpenID Connect Discovery 4.3), or another server could speak for it."""
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        doc = (await http.get(url)).raise_for_status().json()
    except (httpx.HTTPError, ValueError):
        raise Refused("provider") from None
    if not isinstance(doc, dict) or doc.get("issuer") != provider.issuer:
        raise Refused("issuer")
    return doc


async def identity(
    provider: OidcProvider, code: str, redirect_uri: str, verifier: str, nonce: str
) -> dict[str, Any]:
    """The verified claims of the log-in (ID token, then the userinfo the provider keeps
    the email in), or Refused."""
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
        doc = await discover(http, provider)
        token = await _exchange(doc, provider, code, redirect_uri, verifier)
        keys = await _keys(http, doc)
        claims = check_id_token(token.get("id_token"), keys, provider, nonce)
        info = await _userinfo(http, doc, token.get("access_token"))
    if info.get("sub", claims["sub"]) != claims["sub"]:
        raise Refused("subject")  # OpenID Connect Core 5.3.2: another user's answer
    return {**info, **claims}


async def _exchange(
    doc: dict[str, Any], provider: OidcProvider, code: str, redirect_uri: str, verifier: str
) -> dict[str, Any]:
    client = AsyncOAuth2Client(provider.client_id, provider.client_secret, timeout=TIMEOUT_S)
    try:
        async with client:
            token: dict[str, Any] = await client.fetch_token(
                doc["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                redirect_uri=redirect_uri,
                code_verifier=verifier,
            )
    except Exception:  # noqa: BLE001 - Authlib raises its own and httpx's: all mean "no code"
        raise Refused("code") from None
    return token


async def _keys(http: httpx.AsyncClient, doc: dict[str, Any]) -> KeySet:
    try:
        return KeySet.import_key_set((await http.get(doc["jwks_uri"])).raise_for_status().json())
    except (httpx.HTTPError, ValueError, KeyError, JoseError):
        raise Refused("provider") from None


async def _userinfo(http: httpx.AsyncClient, doc: dict[str, Any], access: Any) -> dict[str, Any]:
    if not doc.get("userinfo_endpoint") or not isinstance(access, str):
        return {}
    try:
        info = (
            (
                await http.get(
                    doc["userinfo_endpoint"], headers={"Authorization": f"Bearer {access}"}
                )
            )
            .raise_for_status()
            .json()
        )
    except (httpx.HTTPError, ValueError):
        raise Refused("provider") from None
    return info if isinstance(info, dict) else {}


def check_id_token(
    id_token: Any, keys: KeySet, provider: OidcProvider, nonce: str
) -> dict[str, Any]:
    """The ID token's claims once its signature, iss, aud, exp and nonce are right."""
    if not isinstance(id_token, str):
        raise Refused("token")
    try:
        claims = jwt.decode(id_token, keys, algorithms=ALGORITHMS).claims
    except (JoseError, ValueError):
        raise Refused("token") from None
    checks = {"iss": provider.issuer, "aud": provider.client_id, "nonce": nonce}
    for name, value in checks.items():
        if not _holds(claims.get(name), value):
            raise Refused({"iss": "issuer", "aud": "audience"}.get(name, name))
    try:
        jwt.JWTClaimsRegistry(exp={"essential": True}, sub={"essential": True}).validate(claims)
    except ClaimError:
        raise Refused("token") from None
    return dict(claims)


def _holds(claim: Any, value: str) -> bool:
    # aud may be a list (Core 2): ours must be among them.
    return value in claim if isinstance(claim, list) else claim == value
