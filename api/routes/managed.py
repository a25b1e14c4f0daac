"""Which objects `vigil apply` manages (its label), and the JSON Schema of its file.

`apply` binds each object it creates to the user's `key:` here; `--prune` deletes only
objects listed here, so what was made in the UI is never touched. The frontend reads the
list to show which objects a file manages.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import Table, delete, select
from sqlalchemy.dialects.postgresql import insert

from api.deps import AccountId, Conn, EditorAccountId
from api.routes import PREFIX
from api.schemas import MAX_ID, ErrorOut, Input, Responses
from shared import ascode_format
from shared.tables import (
    maintenance_windows,
    managed_objects,
    monitors,
    notification_channels,
    status_pages,
)

router = APIRouter(tags=["monitors as code"])

TABLES: dict[str, Table] = {
    "monitor": monitors,
    "channel": notification_channels,
    "status_page": status_pages,
    "maintenance": maintenance_windows,
}
Kind = Annotated[str, Path(pattern="^(" + "|".join(ascode_format.KINDS) + ")$")]
Key = Annotated[str, Path(pattern=ascode_format.KEY_PATTERN)]
NOT_FOUND: Responses = {404: {"model": ErrorOut, "description": "no such object of this account"}}


class ManagedIn(Input):
    object_id: Annotated[int, Field(ge=1, le=MAX_ID)]


class ManagedOut(BaseModel):
    kind: str
    key: str
    object_id: int


class ManagedPage(BaseModel):
    items: list[ManagedOut]
    next: None = None  # the whole list: one row per object a file names


@router.get(ascode_format.SCHEMA_PATH, include_in_schema=False)
async def file_schema() -> dict[str, Any]:
    return ascode_format.json_schema()


@router.get(f"{PREFIX}/managed", response_model=ManagedPage)
async def list_managed(account_id: AccountId, conn: Conn) -> ManagedPage:
    """Every object of the account that `vigil apply` manages, with its key."""
    rows = await _live(conn, account_id)
    return ManagedPage(items=[ManagedOut(**row) for row in rows])


async def _live(conn: Conn, account_id: int) -> list[dict[str, Any]]:
    # An object deleted in the UI leaves its binding behind: it is not managed any more.
    out: list[dict[str, Any]] = []
    for kind, table in TABLES.items():
        query = (
            select(managed_objects.c.kind, managed_objects.c.key, managed_objects.c.object_id)
            .join(table, table.c.id == managed_objects.c.object_id)
            .where(
                managed_objects.c.account_id == account_id,
                managed_objects.c.kind == kind,
                table.c.account_id == account_id,
            )
            .order_by(managed_objects.c.key)
        )
        out += [dict(row._mapping) for row in await conn.execute(query)]
    return out


@router.put(f"{PREFIX}/managed/{{kind}}/{{key}}", response_model=ManagedOut, responses=NOT_FOUND)
async def bind(
    kind: Kind, key: Key, body: ManagedIn, account_id: EditorAccountId, conn: Conn
) -> ManagedOut:
    """Marks an object of the account as managed by a file under `key`."""
    table = TABLES[kind]
    owned = await conn.scalar(
        select(table.c.id).where(table.c.id == body.object_id, table.c.account_id == account_id)
    )
    if owned is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{kind} not found")
    await conn.execute(
        delete(managed_objects).where(
            managed_objects.c.account_id == account_id,
            managed_objects.c.kind == kind,
            managed_objects.c.object_id == body.object_id,
        )
    )
    await conn.execute(
        insert(managed_objects)
        .values(account_id=account_id, kind=kind, key=key, object_id=body.object_id)
        .on_conflict_do_update(
            index_elements=["account_id", "kind", "key"], set_={"object_id": body.object_id}
        )
    )
    await conn.commit()
    return ManagedOut(kind=kind, key=key, object_id=body.object_id)


@router.delete(
    f"{PREFIX}/managed/{{kind}}/{{key}}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=NOT_FOUND,
)
async def unbind(kind: Kind, key: Key, account_id: EditorAccountId, conn: Conn) -> Response:
    """Forgets the binding (the object stays): the UI owns it again."""
    gone = await conn.execute(
        delete(managed_objects).where(
            managed_objects.c.account_id == account_id,
            managed_objects.c.kind == kind,
            managed_objects.c.key == key,
        )
    )
    if gone.rowcount == 0:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no object under that key")
    await conn.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
