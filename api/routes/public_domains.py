"""GET /public/domains/{host}: which status page a custom domain shows, for anyone.

The frontend asks it with the Host of a request it does not recognise as its own, then
shows the page of that slug. Only a domain whose owner proved it (the directory's claim is
verified) is served: an unproven claim is a 404 like no claim. Like a slug, a domain held by
another cell answers a 307 to the same question at that cell, so any cell's API will do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from pydantic import BaseModel
from sqlalchemy import select

from api import cells
from api.deps import Conn, SettingsDep
from api.domains import lookup_form
from api.routes import PREFIX
from api.schemas import ErrorOut
from shared.tables import accounts, status_pages

router = APIRouter(prefix=f"{PREFIX}/public", tags=["public"])
DOMAINS = f"{PREFIX}/public/domains/"
# A Host header: a name up to 253 characters, perhaps with a port.
Host = Annotated[str, Path(max_length=260, description="a host name, as in a Host header")]


class DomainOut(BaseModel):
    slug: str


@router.get(
    "/domains/{host}",
    response_model=DomainOut,
    responses={
        307: {"description": "the domain's page is in another cell: ask there"},
        404: {"model": ErrorOut, "description": "no status page at this domain"},
    },
)
async def page_at(
    host: Host, conn: Conn, settings: SettingsDep, request: Request
) -> DomainOut | Response:
    domain = lookup_form(host)
    directory = cells.directory(request)
    if domain is None or directory is None:  # not a host name, or nothing can be proven
        raise _not_found()
    held = (await directory.domain_claims([domain])).get(domain)
    if held is None or held.verified_at is None:
        raise _not_found()
    # The page of the account that proved it (a lapsed claimant's page may still name it).
    slug = await conn.scalar(
        select(status_pages.c.slug)
        .join(accounts, accounts.c.id == status_pages.c.account_id)
        .where(status_pages.c.custom_domain == domain, accounts.c.email == held.account)
    )
    if slug is not None:
        return DomainOut(slug=slug)
    cell = await directory.cell_for_domain(domain)
    if cell is None or cell.name == settings.cell:
        raise _not_found()
    return Response(
        status_code=status.HTTP_307_TEMPORARY_REDIRECT,
        headers={"Location": f"{cell.api_url}{DOMAINS}{domain}"},
    )


def _not_found() -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, "no status page at this domain")
