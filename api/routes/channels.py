"""Notification channels and the monitors that alert through them (many to many).

Secrets are encrypted at rest and never answered in clear: a reader sees a mask, and a
PATCH that sends the mask back keeps the stored secret.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from api import attempt_fields, channels, notify, owned, paging
from api.deps import AccountId, Conn, EditorAccountId, SettingsDep, is_operator
from api.resource_schemas import (
    AttemptOut,
    ChannelIn,
    ChannelMonitorIn,
    ChannelOut,
    ChannelPatch,
    ChannelTestOut,
    LinkedMonitorOut,
)
from api.routes import PREFIX
from api.schemas import MAX_ID, ErrorOut, Page, Responses
from api.secretbox import SecretBox
from shared.config import Settings
from shared.db import AnyRow
from shared.hooknames import discover
from shared.tables import (
    channel_monitors,
    monitors,
    notification_attempts,
    notification_channels,
)

router = APIRouter(prefix=f"{PREFIX}/notification-channels", tags=["notification channels"])

ChannelId = Annotated[int, Path(ge=1, le=MAX_ID)]
MonitorId = Annotated[int, Path(ge=1, le=MAX_ID)]
CHANNEL_404: Responses = {
    404: {"model": ErrorOut, "description": "no such channel of this account"}
}
nc = notification_channels
_CHANNEL = tuple(c for c in nc.c if c.name != "account_id")


def _box(request: Request) -> SecretBox:
    return request.app.state.secret_box


def _out(row: AnyRow, box: SecretBox) -> ChannelOut:
    secret = box.open(row.secrets) if row.secrets else {}
    fields = {k: v for k, v in row._mapping.items() if k != "secrets"}
    return ChannelOut(**{**fields, "config": channels.masked(row.config, secret)})


def _stored(kind: str, config: dict[str, Any], box: SecretBox) -> dict[str, Any]:
    clear, secret = channels.split(kind, config)
    return {"config": clear, "secrets": box.seal(secret) if secret else None}


async def _check_operator_kind(
    conn: Conn, settings: Settings, account_id: int, kind: str, config: dict[str, Any]
) -> None:
    """A hook runs a program on the operator's machine: operators only, registered names only."""
    if kind not in channels.OPERATOR_KINDS:
        return
    if not await is_operator(conn, settings, account_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "hook channels are for operators")
    if config.get("name") not in discover(settings.hooks, settings.hooks_dir):
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "config", "name"),
                    "type": "value_error",
                    "input": config.get("name"),
                    "msg": "not one of the hooks the operator registered (VIGIL_HOOKS)",
                }
            ]
        )


@router.post("/validate", status_code=status.HTTP_204_NO_CONTENT)
async def validate_channel(
    body: ChannelIn, account_id: EditorAccountId, conn: Conn, settings: SettingsDep
) -> Response:
    """The checks of a create, nothing stored: `vigil apply` asks before it changes anything."""
    config = channels.validated(body.kind, body.config)
    await _check_operator_kind(conn, settings, account_id, body.kind, config)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("", response_model=Page[ChannelOut])
async def list_channels(
    request: Request,
    account_id: AccountId,
    conn: Conn,
    limit: paging.Limit = 50,
    cursor: paging.Cursor = None,
    q: paging.Search = None,
) -> Page[ChannelOut]:
    query = select(*_CHANNEL).where(nc.c.account_id == account_id)
    if q:
        query = query.where(paging.contains(nc.c.name, q))
    rows, following = await paging.id_page(conn, query, nc.c.id, limit, cursor)
    return Page[ChannelOut](items=[_out(r, _box(request)) for r in rows], next=following)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ChannelOut)
async def create_channel(
    body: ChannelIn,
    request: Request,
    account_id: EditorAccountId,
    conn: Conn,
    settings: SettingsDep,
) -> ChannelOut:
    config = channels.validated(body.kind, body.config)
    await _check_operator_kind(conn, settings, account_id, body.kind, config)
    query = (
        insert(nc)
        .values(
            account_id=account_id,
            name=body.name,
            kind=body.kind,
            enabled=body.enabled,
            **_stored(body.kind, config, _box(request)),
        )
        .returning(*_CHANNEL)
    )
    row = (await conn.execute(query)).one()
    await conn.commit()
    return _out(row, _box(request))


@router.get("/{channel_id}", response_model=ChannelOut, responses=CHANNEL_404)
async def get_channel(
    channel_id: ChannelId, request: Request, account_id: AccountId, conn: Conn
) -> ChannelOut:
    row = await owned.row_of(conn, nc, account_id, channel_id, "channel", _CHANNEL)
    return _out(row, _box(request))


@router.patch("/{channel_id}", response_model=ChannelOut, responses=CHANNEL_404)
async def change_channel(
    channel_id: ChannelId,
    body: ChannelPatch,
    request: Request,
    account_id: EditorAccountId,
    conn: Conn,
    settings: SettingsDep,
) -> ChannelOut:
    box = _box(request)
    row = await owned.row_of(conn, nc, account_id, channel_id, "channel", _CHANNEL)
    values: dict[str, Any] = {"updated_at": func.now()}
    if body.name is not None:
        values["name"] = body.name
    if body.enabled is not None:
        values["enabled"] = body.enabled
    if body.config is not None:
        current = {**row.config, **(box.open(row.secrets) if row.secrets else {})}
        config = channels.merged(row.kind, current, body.config)
        await _check_operator_kind(conn, settings, account_id, row.kind, config)
        values.update(_stored(row.kind, config, box))
    row = (
        await conn.execute(
            update(nc).where(nc.c.id == channel_id).values(**values).returning(*_CHANNEL)
        )
    ).one()
    await conn.commit()
    return _out(row, box)


@router.delete("/{channel_id}", status_code=status.HTTP_204_NO_CONTENT, responses=CHANNEL_404)
async def delete_channel(
    channel_id: ChannelId, account_id: EditorAccountId, conn: Conn
) -> Response:
    gone = await conn.execute(
        delete(nc).where(nc.c.id == channel_id, nc.c.account_id == account_id)
    )
    if gone.rowcount == 0:
        raise owned.not_found("channel")
    await conn.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{channel_id}/monitors", response_model=Page[LinkedMonitorOut], responses=CHANNEL_404)
async def list_channel_monitors(
    channel_id: ChannelId,
    account_id: AccountId,
    conn: Conn,
    limit: paging.Limit = 50,
    cursor: paging.Cursor = None,
) -> Page[LinkedMonitorOut]:
    await owned.row_of(conn, nc, account_id, channel_id, "channel", (nc.c.id,))
    query = (
        select(channel_monitors.c.monitor_id, monitors.c.name)
        .join(monitors, monitors.c.id == channel_monitors.c.monitor_id)
        .where(channel_monitors.c.channel_id == channel_id)
    )
    rows, following = await paging.id_page(
        conn, query, channel_monitors.c.monitor_id, limit, cursor
    )
    return Page[LinkedMonitorOut](
        items=[LinkedMonitorOut(**r._mapping) for r in rows], next=following
    )


@router.post(
    "/{channel_id}/monitors",
    status_code=status.HTTP_201_CREATED,
    response_model=LinkedMonitorOut,
    responses={**CHANNEL_404, 409: {"model": ErrorOut, "description": "already linked"}},
)
async def link_monitor(
    channel_id: ChannelId, body: ChannelMonitorIn, account_id: EditorAccountId, conn: Conn
) -> LinkedMonitorOut:
    await owned.row_of(conn, nc, account_id, channel_id, "channel", (nc.c.id,))
    name = await owned.monitor_name(conn, account_id, body.monitor_id)
    try:
        await conn.execute(
            insert(channel_monitors).values(
                channel_id=channel_id, monitor_id=body.monitor_id, account_id=account_id
            )
        )
    except IntegrityError:
        raise HTTPException(status.HTTP_409_CONFLICT, "the monitor uses this channel") from None
    await conn.commit()
    return LinkedMonitorOut(monitor_id=body.monitor_id, name=name)


@router.delete(
    "/{channel_id}/monitors/{monitor_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=CHANNEL_404,
)
async def unlink_monitor(
    channel_id: ChannelId, monitor_id: MonitorId, account_id: EditorAccountId, conn: Conn
) -> Response:
    gone = await conn.execute(
        delete(channel_monitors).where(
            channel_monitors.c.channel_id == channel_id,
            channel_monitors.c.monitor_id == monitor_id,
            channel_monitors.c.account_id == account_id,
        )
    )
    if gone.rowcount == 0:
        raise owned.not_found("monitor of this channel")
    await conn.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{channel_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ChannelTestOut,
    responses={
        **CHANNEL_404,
        503: {"model": ErrorOut, "description": "the message broker is away"},
    },
)
async def test_channel(
    channel_id: ChannelId, request: Request, account_id: EditorAccountId, conn: Conn
) -> ChannelTestOut:
    """Send a test notification: queued for the cell's notifier, which sends it as it sends
    an alert (its attempts are listed under /attempts). Maintenance does not mute it."""
    row = await owned.row_of(conn, nc, account_id, channel_id, "channel", _CHANNEL)
    await conn.rollback()  # nothing to write: release the connection before the broker
    box = _box(request)
    config = {**row.config, **(box.open(row.secrets) if row.secrets else {})}
    body = notify.test_delivery(channel_id, row.kind, account_id, box.seal(config), row.name)
    try:
        await request.app.state.deliveries.publish(body)
    except notify.Unavailable:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the notifier's queue cannot be reached; try again later",
        ) from None
    return ChannelTestOut(key=json.loads(body)["key"])


na = notification_attempts


@router.get("/{channel_id}/attempts", response_model=Page[AttemptOut], responses=CHANNEL_404)
async def list_attempts(
    channel_id: ChannelId,
    account_id: AccountId,
    conn: Conn,
    limit: paging.Limit = 50,
    cursor: paging.OrderedCursor = None,
    order: paging.Order = "oldest",
) -> Page[AttemptOut]:
    """Every attempt at telling this channel something, oldest or newest first, with what
    it told (`event`, `incident_id`, `test_id`) and a hook's `exit_code` and `output`."""
    await owned.row_of(conn, nc, account_id, channel_id, "channel", (nc.c.id,))
    query = select(
        na.c.id,
        na.c.idempotency_key.label("key"),
        na.c.attempt,
        na.c.attempted_at,
        na.c.duration_ms,
        na.c.outcome,
        na.c.permanent,
        na.c.error,
        na.c.detail,
        na.c.channel_kind,
    ).where(na.c.channel_id == channel_id, na.c.account_id == account_id)
    rows, following = await paging.id_page(
        conn, query, na.c.id, limit, cursor, newest=order == "newest"
    )
    return Page[AttemptOut](items=[_attempt(r) for r in rows], next=following)


def _attempt(row: AnyRow) -> AttemptOut:
    stored = {k: v for k, v in row._mapping.items() if k != "channel_kind"}
    return AttemptOut(
        **stored, **attempt_fields.fields(row.key, row.channel_kind, row.error, row.detail)
    )
