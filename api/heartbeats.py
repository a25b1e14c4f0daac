"""Heartbeat tests in the API: their ping tokens (made with the test, regenerated on demand,
noted in the directory so other cells send their pings here), what a test shows of them,
and the keeping of their deadlines when a test is paused, resumed or rescheduled.

The result processor keeps the rest of a `heartbeats` row as pings come (state, deadlines,
runs); the API only starts, stops and moves the clock it runs on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from api.cells import owner_email
from api.ping_writer import token_hash
from api.pings import PREFIX
from api.schemas import HeartbeatOut, TestIn
from shared import heartbeat
from shared.db import AnyRow
from shared.directory import Directory
from shared.tables import heartbeats, tests

# The columns a test read with its heartbeat carries (store.py joins them), labelled.
COLUMNS = tuple(c.label(f"hb_{c.name}") for c in heartbeats.c if c.name != "test_id")


def ping_url(base: str, token: str) -> str:
    return f"{base}{PREFIX}{token}"


def out(row: AnyRow, ping_base: str, now: datetime | None = None) -> HeartbeatOut | None:
    """The heartbeat part of a test read with COLUMNS; None for other kinds."""
    if row.hb_token is None:
        return None
    now = now or datetime.now(UTC)
    starts = _starts(row.hb_starts)
    late = row.hb_late_at
    return HeartbeatOut(
        status=heartbeat.status(
            row.enabled,
            row.hb_state,
            None if late is None else int(late.timestamp() * 1000),
            int(now.timestamp() * 1000),
        ),
        ping_url=ping_url(ping_base, row.hb_token),
        last_ping_at=row.hb_last_ping_at,
        last_success_at=row.hb_last_success_at,
        expected_at=late,
        down_at=row.hb_due_at,
        running_since=(
            datetime.fromtimestamp(min(starts.values()) / 1000, UTC) if starts else None
        ),
    )


def _starts(raw: Any) -> dict[str, int]:
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


async def create(conn: AsyncConnection, test_ids: Sequence[int]) -> list[str]:
    """A fresh token for each new heartbeat test; the tokens, to note in the directory."""
    tokens = [heartbeat.new_token() for _ in test_ids]
    if tokens:
        await conn.execute(
            insert(heartbeats),
            [{"test_id": t, "token": token} for t, token in zip(test_ids, tokens, strict=True)],
        )
    return tokens


async def regenerate(conn: AsyncConnection, test_id: int) -> tuple[str, str] | None:
    """A new token for the test (the old one stops working): (old, new), or None."""
    old = await conn.scalar(select(heartbeats.c.token).where(heartbeats.c.test_id == test_id))
    if old is None:
        return None
    new = heartbeat.new_token()
    await conn.execute(update(heartbeats).where(heartbeats.c.test_id == test_id).values(token=new))
    return old, new


async def start(
    conn: AsyncConnection,
    directory: Directory | None,
    account_id: int,
    test_ids: Sequence[int],
    new_tests: Sequence[TestIn],
) -> None:
    """Tokens for the heartbeats among tests just inserted, noted in the directory."""
    ids = [i for i, t in zip(test_ids, new_tests, strict=True) if t.is_heartbeat]
    tokens = await create(conn, ids)
    if tokens and directory is not None:
        await note(directory, await owner_email(conn, account_id), tokens)


async def tokens_of(
    conn: AsyncConnection,
    account_id: int,
    *,
    monitor_id: int | None = None,
    test_id: int | None = None,
) -> list[str]:
    """The ping tokens of a monitor's tests, or of one test (read before deleting them)."""
    query = (
        select(heartbeats.c.token)
        .join(tests, tests.c.id == heartbeats.c.test_id)
        .where(tests.c.account_id == account_id)
    )
    if monitor_id is not None:
        query = query.where(tests.c.monitor_id == monitor_id)
    if test_id is not None:
        query = query.where(tests.c.id == test_id)
    return list((await conn.execute(query)).scalars())


async def note(directory: Directory | None, account_email: str, tokens: Iterable[str]) -> None:
    """Tell the directory which account holds these tokens (a ping at another cell finds
    its way here)."""
    if directory is not None:
        for token in tokens:
            await directory.claim_ping_token(token_hash(token), account_email)


async def forget(directory: Directory | None, tokens: Iterable[str]) -> None:
    if directory is not None:
        for token in tokens:
            await directory.release_ping_token(token_hash(token))


async def rearm(conn: AsyncConnection, test_id: int, enabled: bool, was_enabled: bool) -> None:
    """After a change of the test: a pause awaits nothing; a resume starts afresh (new, as
    Healthchecks.io does: the next ping arms it); otherwise the deadlines follow the new
    schedule from the last success."""
    h = heartbeats.c
    if not enabled or not was_enabled:
        values: dict[str, Any] = {"late_at": None, "due_at": None}
        if enabled:
            values |= {"state": "new", "starts": {}}
        await conn.execute(update(heartbeats).where(h.test_id == test_id).values(**values))
        return
    row = (
        await conn.execute(
            select(h.state, h.last_success_at, h.starts, tests.c.interval_s, tests.c.config)
            .join(tests, tests.c.id == h.test_id)
            .where(h.test_id == test_id)
            .with_for_update(of=heartbeats)
        )
    ).first()
    if row is None:
        return
    last = row.last_success_at
    late, due = heartbeat.deadlines(
        heartbeat.schedule_of(row.interval_s, row.config),
        row.state,
        True,
        None if last is None else int(last.timestamp() * 1000),
        list(_starts(row.starts).values()),
    )
    await conn.execute(
        update(heartbeats).where(h.test_id == test_id).values(late_at=_at(late), due_at=_at(due))
    )


def _at(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)
