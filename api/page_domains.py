"""The API's side of custom-domain claims: the grace period, what a page shows of its proof,
and the proof itself.

Claims and their proof live in the directory (table `domains`), where every cell's public
look-up reads them; a deployment without a directory cannot prove, so takes no domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from api import cells
from api.domain_proof import RETRY_AFTER_S, ProofError, challenge, judge, txt_values
from api.resource_schemas import DomainVerificationOut, StatusPageOut
from shared.db import AnyRow
from shared.directory import Directory, DomainClaim, Taken


def utc_now() -> datetime:
    return datetime.now(UTC)


def now(request: Request) -> datetime:
    """The API's clock (app.state.clock): tests move it instead of waiting days."""
    return request.app.state.clock()


def lapse(request: Request) -> timedelta:
    """How long an unproven claim blocks other accounts."""
    return timedelta(days=request.app.state.settings.domain_claim_days)


def no_directory() -> RequestValidationError:
    return RequestValidationError(
        [
            {
                "type": "value_error",
                "loc": ("body", "custom_domain"),
                "input": None,
                "msg": "Value error, custom domains need the directory (VIGIL_DIRECTORY_URL), "
                "where the proof of owning them is kept",
            }
        ]
    )


async def claim(request: Request, directory: Directory, domain: str, owner: str) -> bool:
    return await directory.claim_domain(domain, owner, now(request), lapse(request))


def view(
    domain: str, held: DomainClaim | None, owner: str, grace: timedelta
) -> DomainVerificationOut:
    """What the page's owner sees of the domain's proof."""
    wanted = challenge(domain, held.token if held else "")
    if held is None or held.account != owner:
        return DomainVerificationOut(
            record=wanted.record,
            value=None,
            status="released",
            verified_at=None,
            claim_expires_at=None,
        )
    verified = held.verified_at is not None
    return DomainVerificationOut(
        record=wanted.record,
        value=wanted.value,
        status="verified" if verified else "pending",
        verified_at=held.verified_at,
        claim_expires_at=None if verified else held.claimed_at + grace,
    )


async def pages_out(
    request: Request, conn: AsyncConnection, account_id: int, rows: Sequence[AnyRow]
) -> list[StatusPageOut]:
    """The pages as the API shows them, each custom domain with its proof (one directory
    read for them all)."""
    names = [r.custom_domain for r in rows if r.custom_domain is not None]
    directory = cells.directory(request)
    held: dict[str, DomainClaim] = {}
    owner = ""
    if names and directory is not None:
        held = await directory.domain_claims(names)
        owner = await cells.owner_email(conn, account_id)
    grace = lapse(request)
    return [
        StatusPageOut(
            **{**r._mapping, **_access(r)},
            domain_verification=None
            if r.custom_domain is None
            else view(r.custom_domain, held.get(r.custom_domain), owner, grace),
        )
        for r in rows
    ]


def _access(row: AnyRow) -> dict[str, Any]:
    """What the owner sees of who may read the page: never the password's hash."""
    private = row.visibility != "public"
    return {
        "password_hash": None,
        "has_password": row.password_hash is not None,
        "feed_token": row.feed_token if private else None,
    }


def conflict(message: str) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, message)


async def own_claim(request: Request, directory: Directory, domain: str, owner: str) -> DomainClaim:
    """The account's claim on the domain; claimed again if it was released and is free."""
    held = (await directory.domain_claims([domain])).get(domain)
    if held is not None and held.account == owner:
        return held
    try:
        await claim(request, directory, domain, owner)
    except Taken:
        raise conflict(
            f"another account holds the custom_domain {domain} now: this page's "
            "claim lapsed unproven; choose another domain"
        ) from None
    return (await directory.domain_claims([domain]))[domain]


async def prove(request: Request, held: DomainClaim) -> None:
    """Looks the claim's TXT record up and records the proof; a 422 (what was found instead),
    503 (DNS failed: retry) or 409 (the claim changed meanwhile) otherwise."""
    settings = request.app.state.settings
    wanted = challenge(held.domain, held.token)
    try:
        values = await txt_values(
            wanted.record, settings.domain_dns_servers, settings.domain_dns_timeout_s
        )
        judge(wanted.record, values, wanted.value)
    except ProofError as exc:
        if exc.retry:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                exc.message,
                headers={"Retry-After": str(RETRY_AFTER_S)},
            ) from None
        raise HTTPException(422, exc.message) from None
    directory = cells.directory(request)
    assert directory is not None  # the caller holds a claim in it
    if not await directory.mark_verified(held, now(request)):
        raise conflict("the page's custom domain changed while it was being verified; try again")
