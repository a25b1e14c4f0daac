"""The API's side of the directory: None when the deployment has a single cell."""

from __future__ import annotations

from fastapi import HTTPException, Request, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.directory import Directory
from shared.tables import accounts


def directory(request: Request) -> Directory | None:
    return request.app.state.directory


def no_room() -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE, "no cell takes new accounts at the moment"
    )


async def owner_email(conn: AsyncConnection, account_id: int) -> str:
    """The email that names the account in the directory: its owner's."""
    email = await conn.scalar(select(accounts.c.email).where(accounts.c.id == account_id))
    assert email is not None, account_id  # the caller's own account
    return email
