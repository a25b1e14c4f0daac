"""The account's team: members and invitations. Only owners manage them; all may look."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, HTTPException, Path, Request, Response, status
from sqlalchemy import delete, func, insert, select, update

from api import cells, notify, paging, security
from api.auth_schemas import (
    InvitationCreatedOut,
    InvitationIn,
    InvitationOut,
    MemberOut,
    MemberPatch,
)
from api.deps import AccountId, Conn, OwnerCaller, SettingsDep
from api.routes import PREFIX
from api.routes.password_reset import send_mail
from api.schemas import MAX_ID, ErrorOut, Page, Responses
from shared.tables import accounts, invitations

router = APIRouter(prefix=PREFIX, tags=["team"])

INVITATION_TTL = timedelta(days=7)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
MEMBER_404: Responses = {404: {"model": ErrorOut, "description": "no such member of this account"}}
INVITE_404: Responses = {
    404: {"model": ErrorOut, "description": "no such invitation of this account"}
}
_MEMBER = (accounts.c.id, accounts.c.email, accounts.c.role, accounts.c.created_at)
_INVITE = (
    invitations.c.id,
    invitations.c.email,
    invitations.c.role,
    invitations.c.expires_at,
    invitations.c.created_at,
)


def _of_account(account_id: int):  # noqa: ANN202 - a SQL expression
    return func.coalesce(accounts.c.owner_id, accounts.c.id) == account_id


def not_found(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")


@router.get("/members", response_model=Page[MemberOut])
async def list_members(
    account_id: AccountId, conn: Conn, limit: paging.Limit = 50, cursor: paging.Cursor = None
) -> Page[MemberOut]:
    query = select(*_MEMBER).where(_of_account(account_id))
    rows, following = await paging.id_page(conn, query, accounts.c.id, limit, cursor)
    return Page[MemberOut](items=[MemberOut(**row._mapping) for row in rows], next=following)


@router.patch(
    "/members/{member_id}",
    response_model=MemberOut,
    responses={
        **MEMBER_404,
        409: {"model": ErrorOut, "description": "the account's owner stays owner"},
    },
)
async def change_role(
    member_id: Id, body: MemberPatch, caller: OwnerCaller, conn: Conn
) -> MemberOut:
    await _member(conn, caller.account_id, member_id)
    row = (
        await conn.execute(
            update(accounts)
            .where(accounts.c.id == member_id)
            .values(role=body.role)
            .returning(*_MEMBER)
        )
    ).one()
    await conn.commit()
    return MemberOut(**row._mapping)


@router.delete(
    "/members/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**MEMBER_404, 409: {"model": ErrorOut, "description": "the account's owner stays"}},
)
async def remove_member(
    member_id: Id, caller: OwnerCaller, conn: Conn, request: Request
) -> Response:
    """The member's log-in, tokens and API keys go; the account's resources stay."""
    await _member(conn, caller.account_id, member_id)
    email = await conn.scalar(
        delete(accounts).where(accounts.c.id == member_id).returning(accounts.c.email)
    )
    await conn.commit()
    directory = cells.directory(request)
    if directory is not None and email is not None:
        await directory.forget(email)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _member(conn: Conn, account_id: int, member_id: int) -> None:
    query = select(accounts.c.owner_id).where(accounts.c.id == member_id, _of_account(account_id))
    found = (await conn.execute(query)).first()
    if found is None:
        raise not_found("member")
    if found.owner_id is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "the account's owner cannot be changed")


@router.get("/invitations", response_model=Page[InvitationOut])
async def list_invitations(
    caller: OwnerCaller, conn: Conn, limit: paging.Limit = 50, cursor: paging.Cursor = None
) -> Page[InvitationOut]:
    query = select(*_INVITE).where(invitations.c.account_id == caller.account_id)
    rows, following = await paging.id_page(conn, query, invitations.c.id, limit, cursor)
    return Page[InvitationOut](items=[InvitationOut(**r._mapping) for r in rows], next=following)


@router.post(
    "/invitations",
    status_code=status.HTTP_201_CREATED,
    response_model=InvitationCreatedOut,
    responses={409: {"model": ErrorOut, "description": "email already has a log-in"}},
)
async def invite(
    body: InvitationIn,
    caller: OwnerCaller,
    conn: Conn,
    request: Request,
    background: BackgroundTasks,
    settings: SettingsDep,
) -> InvitationCreatedOut:
    """The token is shown once, and mailed to the invitee as a link to the frontend's page
    that accepts it (/auth/accept-invite)."""
    email = body.email.lower()
    if await conn.scalar(select(accounts.c.id).where(accounts.c.email == email)) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, "this email already has a log-in")
    token, token_hash = security.new_secret(security.INVITE_PREFIX)
    row = (
        await conn.execute(
            insert(invitations)
            .values(
                account_id=caller.account_id,
                email=email,
                role=body.role,
                token_hash=token_hash,
                expires_at=datetime.now(UTC) + INVITATION_TTL,
            )
            .returning(*_INVITE)
        )
    ).one()
    inviter = await cells.owner_email(conn, caller.account_id)
    language = await conn.scalar(
        select(accounts.c.language).where(accounts.c.id == caller.account_id)
    )
    await conn.commit()
    mail = notify.account_mail(
        "invitation",
        f"invite/{row.id}",
        email,
        inviter,
        f"{settings.frontend_url}/invite/{token}",
        language or "en",
        row.expires_at,
    )
    background.add_task(send_mail, request, mail)
    return InvitationCreatedOut(**row._mapping, token=token)


@router.delete(
    "/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT, responses=INVITE_404
)
async def cancel_invitation(invitation_id: Id, caller: OwnerCaller, conn: Conn) -> Response:
    gone = await conn.execute(
        delete(invitations).where(
            invitations.c.id == invitation_id, invitations.c.account_id == caller.account_id
        )
    )
    if gone.rowcount == 0:
        raise not_found("invitation")
    await conn.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
