"""POST /status-pages/{id}/domain/verify: prove owning the page's custom domain by DNS.

The page shows the TXT record to create (`domain_verification`); this looks it up and,
found, marks the domain verified in the directory, from where it is served. Nothing is
written otherwise. No database connection is held while DNS answers (up to its timeout).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from api import cells, owned, page_domains
from api.deps import EditorAccountId, EngineDep
from api.resource_schemas import StatusPageOut
from api.routes import PREFIX
from api.routes.status_pages import _PAGE, PAGE_404, PageId
from api.schemas import ErrorOut
from shared.tables import status_pages

router = APIRouter(prefix=f"{PREFIX}/status-pages", tags=["status pages"])


@router.post(
    "/{page_id}/domain/verify",
    response_model=StatusPageOut,
    responses={
        **PAGE_404,
        409: {
            "model": ErrorOut,
            "description": "no custom domain to verify, or another account holds it now",
        },
        422: {
            "model": ErrorOut,
            "description": "the TXT record is missing or holds another value "
            "(the answer says what DNS holds)",
        },
        503: {"model": ErrorOut, "description": "DNS did not answer: retry after Retry-After"},
    },
)
async def verify_domain(
    page_id: PageId, account_id: EditorAccountId, engine: EngineDep, request: Request
) -> StatusPageOut:
    async with engine.connect() as conn:
        row = await owned.row_of(conn, status_pages, account_id, page_id, "status page", _PAGE)
        owner = await cells.owner_email(conn, account_id)
    domain = row.custom_domain
    if domain is None:
        raise page_domains.conflict(
            "this status page has no custom_domain to verify: set one first"
        )
    directory = cells.directory(request)
    if directory is None:
        raise page_domains.conflict(
            "custom domains need the directory (VIGIL_DIRECTORY_URL), where their proof is kept"
        )
    held = await page_domains.own_claim(request, directory, domain, owner)
    if held.verified_at is None:
        await page_domains.prove(request, held)
    async with engine.connect() as conn:
        row = await owned.row_of(conn, status_pages, account_id, page_id, "status page", _PAGE)
        return (await page_domains.pages_out(request, conn, account_id, [row]))[0]
