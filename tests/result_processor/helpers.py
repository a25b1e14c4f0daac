"""Rows the processor tests need: accounts, monitors and tests, and result batches."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import asyncpg

from result_processor.store import Decoded
from shared.messages import Result, ResultBatch, Status
from tests.helpers import short_name

MINUTE = 60_000


def now_ms() -> int:
    """A whole minute, an hour ago: inside the week. In the first hour after UTC midnight it
    is yesterday's: a test about days gives the processor a clock of the day it seeds."""
    return int(time.time() // 60 * MINUTE) - 60 * MINUTE


def ids(n: int) -> list[int]:
    base = uuid.uuid4().int % 10**12 + 1
    return [base + i for i in range(n)]


def up(test_id: int, at: int, latency: float = 5.0) -> Result:
    return Result(test_id, at, Status.UP, latency, 200)


def down(test_id: int, at: int, http_status: int | None = None, kind: str = "timeout") -> Result:
    return Result(test_id, at, Status.DOWN, None, http_status, kind, f"{kind} at {at}")


def batch(
    results: list[Result], region: str = "eu", node: str = "node-1", cell: str = "a"
) -> Decoded:
    return Decoded(ResultBatch(uuid.uuid4().bytes, cell, region, node, results))


async def make_monitor(
    conn: asyncpg.Connection,
    n_tests: int = 1,
    rule: dict[str, Any] | None = None,
    interval_s: int = 60,
    regions: tuple[str, ...] = ("eu", "us"),
) -> tuple[int, list[int]]:
    """A monitor of a new account with `n_tests` tests, each running in `regions`;
    (monitor id, test ids)."""
    account = await conn.fetchval(
        "INSERT INTO accounts (email, password_hash) VALUES ($1, 'x') RETURNING id",
        f"{short_name('u')}@example.com",
    )
    monitor = await conn.fetchval(
        "INSERT INTO monitors (account_id, name) VALUES ($1, 'm') RETURNING id", account
    )
    test_ids = []
    for _ in range(n_tests):
        test_ids.append(
            await conn.fetchval(
                "INSERT INTO tests (monitor_id, account_id, kind, region, regions, interval_s, "
                "timeout_s, config, alert_rule) VALUES ($1, $2, 'http', $5, $6, $3, 5, '{}', $4) "
                "RETURNING id",
                monitor,
                account,
                interval_s,
                None if rule is None else json.dumps(rule),
                regions[0],
                list(regions),
            )
        )
    return monitor, test_ids
