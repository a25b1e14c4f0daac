"""API keys for scripts: shown once, stored as a SHA-256, used as a Bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy import delete, insert, select

from api import paging, security
from api.auth_schemas import ApiKeyCreatedOut, ApiKeyIn, ApiKeyOut
from api.deps import RANK, AccountId, Conn, EditorCaller
from api.routes import PREFIX
from api.schemas import MAX_ID, ErrorOut, Page
from shared.tables import api_keys

router = APIRouter(prefix=f"{PREFIX}/api-keys", tags=["api keys"])

PREFIX_LENGTH = 10  # "vk_" and 7 random characters: enough to tell keys apart in a list
_KEY = (
    api_keys.c.id,
    api_keys.c.name,
    api_keys.c.prefix,
    api_keys.c.role,
    api_keys.c.created_at,
    api_keys.c.last_used_at,
)


@router.get("", response_model=Page[ApiKeyOut])
async def list_keys(
    account_id: AccountId, conn: Conn, limit: paging.Limit = 50, cursor: paging.Cursor = None
) -> Page[ApiKeyOut]:
    query = select(*_KEY).where(api_keys.c.account_id == account_id)
    rows, following = await paging.id_page(conn, query, api_keys.c.id, limit, cursor)
    return Page[ApiKeyOut](items=[ApiKeyOut(**row._mapping) for row in rows], next=following)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreatedOut)
async def create_key(body: ApiKeyIn, caller: EditorCaller, conn: Conn) -> ApiKeyCreatedOut:
    role = body.role or caller.role
    if RANK[role] > RANK[caller.role]:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("body", "role"),
                    "input": role,
                    "msg": f"Value error, a key cannot have more rights than you ({caller.role})",
                }
            ]
        )
    key, key_hash = security.new_secret(security.API_KEY_PREFIX)
    row = (
        await conn.execute(
            insert(api_keys)
            .values(
                account_id=caller.account_id,
                login_id=caller.login_id,
                name=body.name,
                prefix=key[:PREFIX_LENGTH],
                key_hash=key_hash,
                role=role,
            )
            .returning(*_KEY)
        )
    ).one()
    await conn.commit()
    return ApiKeyCreatedOut(**row._mapping, key=key)


@router.delete(
    "/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"model": ErrorOut, "description": "no such key"}},
)
async def revoke_key(
    key_id: Annotated[int, Path(ge=1, le=MAX_ID)], caller: EditorCaller, conn: Conn
) -> Response:
    gone = await conn.execute(
        delete(api_keys).where(api_keys.c.id == key_id, api_keys.c.account_id == caller.account_id)
    )
    if gone.rowcount == 0:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "API key not found")
    await conn.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
