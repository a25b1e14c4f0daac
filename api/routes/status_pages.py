"""Status pages and the monitors on them (many to many, each in one of the page's groups).

A page's slug and its custom domain are names unique across the deployment: claimed in
the directory before the page is stored, released after it lets go of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy import RowMapping, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from api import cells, owned, page_domains, page_visibility, paging
from api.deps import AccountId, Conn, EditorAccountId
from api.resource_schemas import (
    PageMonitorIn,
    PageMonitorOut,
    PageMonitorPatch,
    StatusPageIn,
    StatusPageOut,
    StatusPagePatch,
)
from api.routes import PREFIX
from api.schemas import MAX_ID, ErrorOut, Page, Responses
from shared.directory import Directory, Taken
from shared.tables import monitors, status_page_monitors, status_pages

router = APIRouter(prefix=f"{PREFIX}/status-pages", tags=["status pages"])

PageId = Annotated[int, Path(ge=1, le=MAX_ID)]
MonitorId = Annotated[int, Path(ge=1, le=MAX_ID)]
PAGE_404: Responses = {
    404: {"model": ErrorOut, "description": "no such status page of this account"}
}
SLUG_409: Responses = {
    409: {"model": ErrorOut, "description": "slug or custom domain already taken"}
}
_PAGE = tuple(c for c in status_pages.c if c.name != "account_id")
_LINK = (
    status_page_monitors.c.monitor_id,
    monitors.c.name,
    status_page_monitors.c.group_name.label("group"),
    status_page_monitors.c.position,
    status_page_monitors.c.sla_target,
)
spm = status_page_monitors
# The names a page holds in the directory, unique across cells.
NAMES = ("slug", "custom_domain")


def taken(field: str) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, f"this {field} is taken")


def _conflict(exc: IntegrityError) -> HTTPException:
    """The 409 naming the field whose unique constraint (in this cell) refused the row."""
    return taken("custom_domain" if "custom_domain" in str(exc.orig) else "slug")


@router.get("", response_model=Page[StatusPageOut])
async def list_pages(
    account_id: AccountId,
    conn: Conn,
    request: Request,
    limit: paging.Limit = 50,
    cursor: paging.Cursor = None,
    q: paging.Search = None,
) -> Page[StatusPageOut]:
    query = select(*_PAGE).where(status_pages.c.account_id == account_id)
    if q:
        query = query.where(
            paging.contains(status_pages.c.title, q) | paging.contains(status_pages.c.slug, q)
        )
    rows, following = await paging.id_page(conn, query, status_pages.c.id, limit, cursor)
    items = await page_domains.pages_out(request, conn, account_id, rows)
    return Page[StatusPageOut](items=items, next=following)


async def _out(request: Request, conn: Conn, account_id: int, row: Any) -> StatusPageOut:
    return (await page_domains.pages_out(request, conn, account_id, [row]))[0]


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=StatusPageOut, responses=SLUG_409
)
async def create_page(
    body: StatusPageIn, account_id: EditorAccountId, conn: Conn, request: Request
) -> StatusPageOut:
    _check_group_tags(body.group_tags, body.groups)
    values = body.model_dump()
    values.update(await page_visibility.columns(request, values, None))
    query = insert(status_pages).values(account_id=account_id, **values).returning(*_PAGE)
    async with _holding(request, conn, account_id, _names(values)):
        try:
            row = (await conn.execute(query)).one()
        except IntegrityError as exc:
            raise _conflict(exc) from None
        await conn.commit()
    return await _out(request, conn, account_id, row)


def _names(values: Mapping[str, Any] | RowMapping) -> dict[str, str]:
    """The directory names among these values (a page's or a change's), unset ones left out."""
    return {field: values[field] for field in NAMES if values.get(field) is not None}


@asynccontextmanager
async def _holding(
    request: Request, conn: Conn, account_id: int, names: dict[str, str]
) -> AsyncIterator[None]:
    """Slugs and domains are unique across cells: the directory holds them. Claims them for
    the block (409 if another account has one); if the block fails, gives back those it took."""
    directory = cells.directory(request)
    if directory is None and "custom_domain" in names:
        raise page_domains.no_directory()
    if directory is None or not names:
        yield
        return
    owner = await cells.owner_email(conn, account_id)
    took: dict[str, str] = {}
    try:
        for field, name in names.items():
            try:
                if await _claim(request, directory, field, name, owner):
                    took[field] = name
            except Taken:
                raise taken(field) from None
        if "custom_domain" in took:  # perhaps a lapsed claim: its page here lets go of it
            await conn.execute(
                update(status_pages)
                .where(
                    status_pages.c.custom_domain == took["custom_domain"],
                    status_pages.c.account_id != account_id,
                )
                .values(custom_domain=None, updated_at=func.now())
            )
        yield
    except Exception:  # the connection may be in a failed transaction: owner is known
        await _release(request, conn, account_id, took, owner)
        raise


async def _claim(request: Request, directory: Directory, field: str, name: str, owner: str) -> bool:
    if field == "slug":
        return await directory.claim_slug(name, owner)
    return await page_domains.claim(request, directory, name, owner)


async def _release(
    request: Request, conn: Conn, account_id: int, names: dict[str, str], owner: str | None = None
) -> None:
    directory = cells.directory(request)
    if directory is None or not names:
        return
    owner = owner or await cells.owner_email(conn, account_id)
    for field, name in names.items():
        if field == "slug":
            await directory.release_slug(name)
        else:  # only if still this account's: a lapsed claim may be another's now
            await directory.release_domain(name, owner)


@router.get("/{page_id}", response_model=StatusPageOut, responses=PAGE_404)
async def get_page(
    page_id: PageId, account_id: AccountId, conn: Conn, request: Request
) -> StatusPageOut:
    row = await owned.row_of(conn, status_pages, account_id, page_id, "status page", _PAGE)
    return await _out(request, conn, account_id, row)


@router.patch("/{page_id}", response_model=StatusPageOut, responses={**PAGE_404, **SLUG_409})
async def change_page(
    page_id: PageId,
    body: StatusPagePatch,
    account_id: EditorAccountId,
    conn: Conn,
    request: Request,
) -> StatusPageOut:
    old = await owned.row_of(conn, status_pages, account_id, page_id, "status page", _PAGE)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    for field in (
        "slug",
        "title",
        "language",
        "groups",
        "group_tags",
        "history_days",
        "footer_links",
    ):
        if field in changes and changes[field] is None:
            changes.pop(field)  # these cannot be empty: null means "leave as is"
    changes.update(await page_visibility.columns(request, changes, old))
    groups = changes.get("groups", old.groups)
    if "group_tags" in changes:
        _check_group_tags(changes["group_tags"], groups)
    elif "groups" in changes:  # a group that is gone takes its tag along
        changes["group_tags"] = {g: t for g, t in old.group_tags.items() if g in groups}
    before = _names(old._mapping)
    after = _names({**old._mapping, **changes})
    query = (
        update(status_pages)
        .where(status_pages.c.id == page_id)
        .values(**changes, updated_at=func.now())
        .returning(*_PAGE)
    )
    async with _holding(
        request, conn, account_id, {f: name for f, name in after.items() if before.get(f) != name}
    ):
        try:
            row = (await conn.execute(query)).one()
        except IntegrityError as exc:
            raise _conflict(exc) from None
        if "groups" in changes:  # monitors of a group that is gone become ungrouped
            await conn.execute(
                update(spm)
                .where(spm.c.page_id == page_id, spm.c.group_name.not_in(changes["groups"]))
                .values(group_name=None)
            )
        await conn.commit()
    _forget(request, old.slug, row.slug)
    await _release(
        request, conn, account_id, {f: name for f, name in before.items() if after.get(f) != name}
    )
    return await _out(request, conn, account_id, row)


def _forget(request: Request, *slugs: str) -> None:
    """The page's cached public answers are dropped, not merely marked stale: a stale one is
    still served once, and after a change of visibility that would be the public page."""
    for slug in slugs:
        request.app.state.public_cache.forget(slug)


@router.delete("/{page_id}", status_code=status.HTTP_204_NO_CONTENT, responses=PAGE_404)
async def delete_page(
    page_id: PageId, account_id: EditorAccountId, conn: Conn, request: Request
) -> Response:
    gone = (
        await conn.execute(
            delete(status_pages)
            .where(status_pages.c.id == page_id, status_pages.c.account_id == account_id)
            .returning(status_pages.c.slug, status_pages.c.custom_domain)
        )
    ).first()
    if gone is None:
        raise owned.not_found("status page")
    await conn.commit()
    _forget(request, gone.slug)
    await _release(request, conn, account_id, _names(gone._mapping))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _links(page_id: int):  # noqa: ANN202 - a query
    return (
        select(*_LINK)
        .join(monitors, monitors.c.id == spm.c.monitor_id)
        .where(spm.c.page_id == page_id)
    )


@router.get("/{page_id}/monitors", response_model=Page[PageMonitorOut], responses=PAGE_404)
async def list_page_monitors(
    page_id: PageId,
    account_id: AccountId,
    conn: Conn,
    limit: paging.Limit = 50,
    cursor: paging.Cursor = None,
) -> Page[PageMonitorOut]:
    await owned.row_of(conn, status_pages, account_id, page_id, "status page", _PAGE)
    rows, following = await paging.id_page(conn, _links(page_id), spm.c.monitor_id, limit, cursor)
    return Page[PageMonitorOut](items=[PageMonitorOut(**r._mapping) for r in rows], next=following)


def _check_group_tags(group_tags: dict[str, str], groups: list[str]) -> None:
    unknown = [g for g in group_tags if g not in groups]
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("body", "group_tags"),
                    "input": unknown,
                    "msg": "Value error, not the page's groups",
                }
            ]
        )


def _check_group(group: str | None, groups: list[str]) -> None:
    if group is not None and group not in groups:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("body", "group"),
                    "input": group,
                    "msg": "Value error, not one of the page's groups",
                }
            ]
        )


@router.post(
    "/{page_id}/monitors",
    status_code=status.HTTP_201_CREATED,
    response_model=PageMonitorOut,
    responses={**PAGE_404, 409: {"model": ErrorOut, "description": "already on it"}},
)
async def add_page_monitor(
    page_id: PageId, body: PageMonitorIn, account_id: EditorAccountId, conn: Conn
) -> PageMonitorOut:
    page = await owned.row_of(conn, status_pages, account_id, page_id, "status page", _PAGE)
    name = await owned.monitor_name(conn, account_id, body.monitor_id)
    _check_group(body.group, page.groups)
    try:
        await conn.execute(
            insert(spm).values(
                page_id=page_id,
                monitor_id=body.monitor_id,
                account_id=account_id,
                group_name=body.group,
                position=body.position,
                sla_target=body.sla_target,
            )
        )
    except IntegrityError:
        raise HTTPException(status.HTTP_409_CONFLICT, "the monitor is on this page") from None
    await conn.execute(
        update(status_pages).where(status_pages.c.id == page_id).values(updated_at=func.now())
    )
    await conn.commit()
    return PageMonitorOut(
        monitor_id=body.monitor_id,
        name=name,
        group=body.group,
        position=body.position,
        sla_target=body.sla_target,
    )


@router.patch("/{page_id}/monitors/{monitor_id}", response_model=PageMonitorOut, responses=PAGE_404)
async def change_page_monitor(
    page_id: PageId,
    monitor_id: MonitorId,
    body: PageMonitorPatch,
    account_id: EditorAccountId,
    conn: Conn,
) -> PageMonitorOut:
    page = await owned.row_of(conn, status_pages, account_id, page_id, "status page", _PAGE)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("position", 0) is None:
        changes.pop("position")
    _check_group(changes.get("group"), page.groups)
    if "group" in changes:
        changes["group_name"] = changes.pop("group")
    where = (spm.c.page_id == page_id, spm.c.monitor_id == monitor_id)
    if changes:
        await conn.execute(update(spm).where(*where).values(**changes))
    row = (await conn.execute(_links(page_id).where(spm.c.monitor_id == monitor_id))).first()
    if row is None:
        raise owned.not_found("monitor on this page")
    await conn.commit()
    return PageMonitorOut(**row._mapping)


@router.delete(
    "/{page_id}/monitors/{monitor_id}", status_code=status.HTTP_204_NO_CONTENT, responses=PAGE_404
)
async def remove_page_monitor(
    page_id: PageId, monitor_id: MonitorId, account_id: EditorAccountId, conn: Conn
) -> Response:
    gone = await conn.execute(
        delete(spm).where(
            spm.c.page_id == page_id, spm.c.monitor_id == monitor_id, spm.c.account_id == account_id
        )
    )
    if gone.rowcount == 0:
        raise owned.not_found("monitor on this page")
    await conn.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
