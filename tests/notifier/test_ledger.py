"""The claim that makes a delivery go out once, against the real PostgreSQL."""

from collections.abc import AsyncIterator

import asyncpg
import pytest

from notifier import ledger
from notifier.delivery import Delivery
from notifier.message import Notification
from tests.helpers import short_name

pytestmark = pytest.mark.integration


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


def _delivery() -> Delivery:
    key = short_name("d")
    return Delivery(
        f"{key}/1", "webhook", Notification(kind="opened", key=key, monitor="m"), 1, 1, config={}
    )


async def test_one_claim_wins_and_the_copy_waits(conn) -> None:
    d = _delivery()
    first = await ledger.claim(conn, d, lease_s=60)
    second = await ledger.claim(conn, d, lease_s=60)
    assert first.attempt == 1
    assert second.attempt is None and second.state == "sending"
    assert 55_000 < second.wait_ms <= 60_000


async def test_a_retry_is_not_claimed_before_its_time(conn) -> None:
    d = _delivery()
    await ledger.claim(conn, d, lease_s=60)
    await ledger.settle(conn, d, ledger.Attempt(1, "retry", 1.0, "HTTP 500"), 30_000)
    early = await ledger.claim(conn, d, lease_s=60)
    assert early.attempt is None and early.state == "waiting" and early.wait_ms > 25_000


async def test_a_dead_sender_s_claim_is_taken_over_and_its_late_record_changes_nothing(
    conn,
) -> None:
    d = _delivery()
    await ledger.claim(conn, d, lease_s=60)
    taken = await ledger.claim(conn, d, lease_s=0)  # the first sender's lease ran out
    assert taken.attempt == 2
    await ledger.settle(conn, d, ledger.Attempt(1, "retry", 1.0, "late"), 10)  # the old sender
    assert (
        await conn.fetchval(
            "SELECT state FROM notification_deliveries WHERE idempotency_key = $1", d.key
        )
        == "sending"
    )
    await ledger.settle(conn, d, ledger.Attempt(2, "sent", 1.0), 0)
    done = await ledger.claim(conn, d, lease_s=0)
    assert done.attempt is None and done.state == "sent"
    rows = await conn.fetch(
        "SELECT attempt, outcome FROM notification_attempts WHERE idempotency_key = $1 ORDER BY id",
        d.key,
    )
    assert [(r["attempt"], r["outcome"]) for r in rows] == [(1, "retry"), (2, "sent")]
