"""Certificate notices decided in the storing transaction, against PostgreSQL: one event per
test and certificate, whatever the number of checks, redeliveries or garbage beside it."""

import json
import math
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from prometheus_client import REGISTRY

from result_processor import certs, incidents
from result_processor.certs import Sighting, sightings, untold
from result_processor.store import Decoded, store_group
from shared import names
from shared.codec import decode_batch, decode_event, encode_batch
from shared.messages import CertEvent, Result, ResultBatch, Status
from tests.helpers import short_name
from tests.result_processor.helpers import MINUTE, batch, ids, make_monitor, now_ms

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

DAY_MS = 86_400_000


def tls_result(
    test_id: int, at: int, days: object, status: Status = Status.UP, kind: str | None = None
) -> Result:
    return Result(
        test_id, at, status, 12.0, 200, kind, None, {"connect_ms": 1.0, "cert_days": days}
    )


# --- pure -----------------------------------------------------------------------------------


def test_one_certificate_wanders_across_midnight_a_renewal_does_not() -> None:
    midnight = int(datetime(2027, 3, 1, tzinfo=UTC).timestamp() * 1000)
    before = Sighting(1, "eu", midnight - 10 * DAY_MS, 9.995)  # 23:52:48 the day before
    after = Sighting(1, "eu", midnight - 10 * DAY_MS + 60_000, 10.0)  # 00:01 on the day
    assert (before.expires_on, after.expires_on) == (date(2027, 2, 28), date(2027, 3, 1))
    assert untold([after], {1: [before.expires_on]}) == []
    renewed = Sighting(1, "eu", midnight + 80 * DAY_MS, 10.0)
    assert untold([renewed], {1: [before.expires_on]}) == [renewed]
    assert untold([renewed], {2: [renewed.expires_on]}) == [renewed]  # another test's


# --- against the database -------------------------------------------------------------------


@pytest.fixture
def cell() -> str:
    return short_name("c")


@pytest.fixture(autouse=True)
async def _drop_events(conn: asyncpg.Connection, cell: str) -> AsyncIterator[None]:
    """This cell's events stay out of other tests' outbox."""
    yield
    await conn.execute("DELETE FROM event_outbox WHERE routing_key = $1", names.cert_key(cell))


def _notices(outcome: str) -> float:
    return (
        REGISTRY.get_sample_value("vigil_processor_cert_notices_total", {"outcome": outcome}) or 0.0
    )


async def store(conn: asyncpg.Connection, *batches: Decoded) -> None:
    await store_group(
        conn, list(batches), datetime.now(UTC), after=[incidents.evaluate, certs.evaluate]
    )


async def cert_events(conn: asyncpg.Connection, cell: str) -> list[CertEvent]:
    rows = await conn.fetch(
        "SELECT body FROM event_outbox WHERE routing_key = $1 ORDER BY id", names.cert_key(cell)
    )
    return [decode_event(r["body"]) for r in rows]  # type: ignore[misc]


async def sightings_of(conn: asyncpg.Connection, *batches: ResultBatch) -> dict:
    """What the hook sees of the batches, as the processor stores them (through the codec,
    which drops garbage figures)."""
    seen: dict = {}

    async def look(conn: asyncpg.Connection, _batches: object, _now: object) -> None:
        seen.update(await sightings(conn))

    decoded = [Decoded(*decode_batch(encode_batch(b))) for b in batches]
    await store_group(conn, decoded, datetime.now(UTC), after=[look])
    return seen


async def test_per_test_the_fewest_days_seen_in_any_region(conn) -> None:
    at = now_ms()
    one, two, three, four, five, six, seven, eight = ids(8)
    eu = ResultBatch(
        uuid.uuid4().bytes,
        "c",
        "eu",
        "n",
        [
            tls_result(one, at, 9.5),
            tls_result(two, at, 400.0),
            tls_result(three, at, "x"),
            tls_result(eight, at, -2.0),
        ],
    )  # expired: the check's own failure tells of it
    us = ResultBatch(
        uuid.uuid4().bytes,
        "c",
        "us",
        "n",
        [tls_result(one, at + 5, 4.0), tls_result(one, at + 9, 6.0)],
    )
    assert await sightings_of(conn, eu, us) == {one: Sighting(one, "us", at + 5, 4.0)}
    # Over the default mark, only what the executor found under the test's own mark counts.
    marked = ResultBatch(
        uuid.uuid4().bytes,
        "c",
        "eu",
        "n",
        [
            tls_result(four, at, 20.0, Status.DEGRADED, "cert_expiring"),
            tls_result(five, at, 20.0),
            tls_result(six, at, 2.0, Status.DOWN, "http_status"),
            tls_result(seven, at, "2", Status.DEGRADED, "cert_expiring"),
        ],
    )
    assert sorted(await sightings_of(conn, marked)) == [four, six]


async def cert_test(
    conn: asyncpg.Connection, config: dict[str, object] | None = None, kind: str = "http"
) -> tuple[int, int]:
    monitor, [test] = await make_monitor(conn, regions=("eu",))
    await conn.execute(
        "UPDATE tests SET kind = $2, config = $3 WHERE id = $1",
        test,
        kind,
        json.dumps({"url": "https://shop.example/", **(config or {})}),
    )
    return monitor, test


async def test_a_certificate_under_the_mark_is_one_event_however_often_seen(conn, cell) -> None:
    monitor, t = await cert_test(conn)
    before = _notices("emitted")
    at = now_ms()
    first = batch([tls_result(t, at, 5.0, Status.DEGRADED, "cert_expiring")], cell=cell)
    await store(conn, first)
    for minute in range(1, 6):  # every check sees it again, from two regions
        await store(
            conn,
            batch(
                [tls_result(t, at + minute * MINUTE, 5.0 - minute / 1440)], region="eu", cell=cell
            ),
            batch([tls_result(t, at + minute * MINUTE + 7, 4.99)], region="us", cell=cell),
        )
    await store(conn, first)  # a redelivered batch: skipped whole
    [event] = await cert_events(conn, cell)
    assert _notices("emitted") == before + 1
    assert (event.test_id, event.monitor_id, event.region, event.days) == (t, monitor, "eu", 5.0)
    assert event.checked_at_ms == at and event.expires_at_ms == at + 5 * DAY_MS
    [row] = await conn.fetch("SELECT * FROM cert_notices WHERE test_id = $1", t)
    assert (row["expires_on"].isoformat(), row["days"]) == (event.expires_on, 5.0)


async def test_a_renewed_certificate_near_its_end_again_is_a_new_event(conn, cell) -> None:
    _, t = await cert_test(conn, {"cert_warn_days": 90})
    at = now_ms()
    for minute, days in enumerate([3.0, 89.0, 88.99]):  # renewed after the first check
        await store(
            conn,
            batch(
                [tls_result(t, at + minute * MINUTE, days, Status.DEGRADED, "cert_expiring")],
                cell=cell,
            ),
        )
    assert [round(e.days) for e in await cert_events(conn, cell)] == [3, 89]


async def test_plenty_of_days_off_or_other_kinds_send_nothing(conn, cell) -> None:
    _, plenty = await cert_test(conn)
    _, off = await cert_test(conn, {"cert_warn_days": 0})
    _, tls_off = await cert_test(conn, {"warn_days": 0}, kind="tls")
    _, tcp = await cert_test(conn, kind="tcp")
    _, garbage = await cert_test(conn, {"cert_warn_days": "soon"})
    at = now_ms()
    await store(
        conn,
        batch(
            [
                tls_result(plenty, at, 60.0),
                tls_result(off, at, 2.0),
                tls_result(tls_off, at, 2.0),
                tls_result(tcp, at, 2.0),
                tls_result(garbage, at, 2.0),
                tls_result(2**62, at, 1.0),
            ],
            cell=cell,
        ),
    )
    assert await cert_events(conn, cell) == []
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM cert_notices WHERE test_id = any($1)",
            [plenty, off, tls_off, tcp, garbage],
        )
        == 0
    )


async def test_the_tls_kind_uses_its_warn_days(conn, cell) -> None:
    _, t = await cert_test(conn, {"warn_days": 30}, kind="tls")
    _, lowered = await cert_test(conn, {"warn_days": 10}, kind="tls")
    # The executor applied 30 days to both (it had not heard of the change to 10 yet).
    await store(
        conn,
        batch(
            [tls_result(i, now_ms(), 20.0, Status.DEGRADED, "cert_expiring") for i in (t, lowered)],
            cell=cell,
        ),
    )
    assert [e.test_id for e in await cert_events(conn, cell)] == [t]


async def test_garbage_days_cost_neither_the_batch_nor_the_good_rows(conn, cell) -> None:
    _, t = await cert_test(conn)
    _, bad = await cert_test(conn)
    at = now_ms()
    rows = [
        tls_result(bad, at + i, v)
        for i, v in enumerate(["5", -3, math.nan, math.inf, True, None, "x" * 200])
    ]
    sent = batch(rows + [tls_result(t, at + 50, 6.5)], cell=cell)
    received, set_aside = decode_batch(encode_batch(sent.batch))  # as the processor does
    assert set_aside == []
    # A text, NaN, infinity, a bool, a long text: not numbers, so not kept; the rest is.
    assert len(received.trimmed) == 5
    await store(conn, Decoded(received))
    # Every result is stored; only the expired certificate (-3) kept its days.
    stored = await conn.fetch(
        "SELECT test_id, cert_days, connect_ms FROM results WHERE test_id = any($1)", [t, bad]
    )
    assert len(stored) == 8 and all(r["connect_ms"] == 1.0 for r in stored)
    assert sorted(r["cert_days"] for r in stored if r["cert_days"] is not None) == [-3, 6.5]
    assert [e.test_id for e in await cert_events(conn, cell)] == [t]


async def test_under_maintenance_nothing_is_told_nor_remembered(conn, cell) -> None:
    monitor, t = await cert_test(conn)
    account = await conn.fetchval("SELECT account_id FROM tests WHERE id = $1", t)
    at = now_ms()
    checked = datetime.fromtimestamp(at / 1000, UTC)
    await conn.execute(
        "INSERT INTO maintenance_windows (account_id, title, starts_at, ends_at,"
        " monitor_id) VALUES ($1, 'renewal', $2, $3, $4)",
        account,
        checked - timedelta(minutes=5),
        checked + timedelta(minutes=5),
        monitor,
    )
    muted = _notices("muted")
    await store(conn, batch([tls_result(t, at, 5.0)], cell=cell))
    assert await cert_events(conn, cell) == []
    assert await conn.fetchval("SELECT count(*) FROM cert_notices WHERE test_id = $1", t) == 0
    assert _notices("muted") == muted + 1
    # The first check after the window tells of it.
    await store(conn, batch([tls_result(t, at + 10 * MINUTE, 4.99)], cell=cell))
    assert [e.test_id for e in await cert_events(conn, cell)] == [t]


async def test_a_status_page_window_mutes_its_monitors_certificates(conn, cell) -> None:
    monitor, t = await cert_test(conn)
    account = await conn.fetchval("SELECT account_id FROM tests WHERE id = $1", t)
    page = await conn.fetchval(
        "INSERT INTO status_pages (account_id, slug, title, language) "
        "VALUES ($1, $2, 'p', 'en') RETURNING id",
        account,
        short_name("s"),
    )
    await conn.execute(
        "INSERT INTO status_page_monitors (page_id, monitor_id, account_id) VALUES ($1, $2, $3)",
        page,
        monitor,
        account,
    )
    now = datetime.now(UTC)
    await conn.execute(
        "INSERT INTO maintenance_windows (account_id, title, starts_at, ends_at,"
        " status_page_id) VALUES ($1, 'all', $2, $3, $4)",
        account,
        now - timedelta(days=1),
        now + timedelta(days=1),
        page,
    )
    await store(conn, batch([tls_result(t, now_ms(), 5.0)], cell=cell))
    assert await cert_events(conn, cell) == []


async def test_an_expiring_certificate_opens_no_incident(conn, cell) -> None:
    _, t = await cert_test(conn)
    at = now_ms()
    for minute in range(4):
        await store(
            conn,
            batch(
                [tls_result(t, at + minute * MINUTE, 5.0, Status.DEGRADED, "cert_expiring")],
                cell=cell,
            ),
        )
    assert await conn.fetchval("SELECT count(*) FROM incidents WHERE test_id = $1", t) == 0
    assert (
        await conn.fetchval("SELECT status FROM test_state WHERE test_id = $1", t)
        == Status.DEGRADED
    )  # the dashboard still shows it
    assert len(await cert_events(conn, cell)) == 1


async def test_long_expired_certificates_are_forgotten(conn, cell) -> None:
    _, t = await cert_test(conn)
    now = datetime.now(UTC)
    await conn.execute(
        "INSERT INTO cert_notices (test_id, expires_on, days) VALUES ($1, $2, 3), ($1, $3, 3)",
        t,
        (now - timedelta(days=8)).date(),
        (now + timedelta(days=3)).date(),
    )
    assert await certs.prune(conn, now) >= 1
    assert [
        r["expires_on"]
        for r in await conn.fetch("SELECT expires_on FROM cert_notices WHERE test_id = $1", t)
    ] == [(now + timedelta(days=3)).date()]
