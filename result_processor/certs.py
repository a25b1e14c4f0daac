"""Certificates nearing expiry: one `cert_expiring` event per test and per certificate.

HTTPS and TLS results carry `cert_days`, the days their certificate has left. When a test's
certificate has fewer days than the test's mark (`cert_warn_days`, TLS also `warn_days`; 14
by default, 0: never), one event goes to the outbox for the notifier. The executor applies
the same mark (the result is DEGRADED, `cert_expiring`); the processor checks it again
against the test as stored, and also looks at results under the default mark that failed
for another reason. This runs as a hook of the storing transaction (`store.store_group`), on
the group's rows: a redelivered batch is skipped whole before any hook runs, and
`cert_notices` remembers each certificate told of, so neither a restart nor a second
processor tells of one twice.

A certificate is known by the UTC day it expires: the check's time plus its `cert_days`.
That figure is rounded and checks run at different moments, so one certificate's reckoned
expiry wanders by minutes, across midnight now and then: an expiry within a day of one
already told of is the same certificate. A renewed certificate expires weeks later, so when
it too nears its end it is a new notice.

Under maintenance (a window of the monitor, or of a status page showing it, at the check's
time) nothing is told and nothing remembered: the first check after the window tells.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg
from prometheus_client import Counter

from result_processor.rows import INCOMING
from shared import names
from shared.checkspec import CERT_WARN_DAYS, cert_warn_days
from shared.codec import encode_cert_event
from shared.messages import CertEvent, ResultBatch

NOTICES = Counter(
    "vigil_processor_cert_notices_total",
    "Certificate notices emitted, or held back by maintenance (at each look)",
    ["outcome"],
)
CERT_EXPIRING = "cert_expiring"  # the executor's verdict: under the test's mark
MAX_DAYS = 36_500.0  # beyond any real certificate: a larger figure is garbage
SAME_CERT = timedelta(days=1)
KEEP_AFTER_EXPIRY = timedelta(days=7)  # then its row is pruned: it can no longer be seen
DAY_MS = 86_400_000
_LOCK_CLASS = 1987  # advisory lock namespace: one test's certificate notices

_TESTS = """
SELECT id, monitor_id, kind, config->'cert_warn_days' AS cert_warn_days,
       config->'warn_days' AS warn_days
FROM tests WHERE id = any($1::bigint[])
"""
_SIGHTINGS = f"""
SELECT DISTINCT ON (test_id) test_id, region, checked_at, cert_days FROM {INCOMING}
WHERE (error_kind = '{CERT_EXPIRING}' OR cert_days < {CERT_WARN_DAYS})
  AND cert_days BETWEEN 0 AND {MAX_DAYS}
ORDER BY test_id, cert_days, checked_at
"""
_TOLD = "SELECT test_id, expires_on FROM cert_notices WHERE test_id = any($1::bigint[])"
# A window of the monitor itself, or of a status page that shows it, at the check's time.
_MUTED = """
SELECT DISTINCT u.test FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[])
    AS u(test, monitor, at)
JOIN maintenance_windows w ON w.starts_at <= u.at AND w.ends_at > u.at
WHERE w.monitor_id = u.monitor OR w.status_page_id IN (
    SELECT page_id FROM status_page_monitors WHERE monitor_id = u.monitor)
"""
_REMEMBER = """
INSERT INTO cert_notices (test_id, expires_on, days) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING RETURNING test_id
"""


@dataclass(frozen=True)
class Sighting:
    """A test's certificate as one result saw it."""

    test_id: int
    region: str
    checked_at_ms: int
    days: float

    @property
    def expires_at_ms(self) -> int:
        return self.checked_at_ms + round(self.days * DAY_MS)

    @property
    def expires_on(self) -> date:
        return datetime.fromtimestamp(self.expires_at_ms / 1000, UTC).date()


async def sightings(conn: asyncpg.Connection) -> dict[int, Sighting]:
    """Per test of the group, the result whose certificate has the fewest days left, among
    those worth a look at the test's mark: the executor found it under the mark
    (`cert_expiring`), or it is under the default mark (the check failed for another reason,
    so it could not say). Read from the group's rows in PostgreSQL (the codec has checked
    the figures): nearly every HTTPS result carries `cert_days`, and the common case, none
    under a mark, costs the processor nothing."""
    return {
        r["test_id"]: Sighting(
            r["test_id"],
            r["region"],
            round(r["checked_at"].timestamp() * 1000),
            round(r["cert_days"], 4),
        )  # a float4's digits
        for r in await conn.fetch(_SIGHTINGS)
    }


def untold(due: list[Sighting], told: dict[int, list[date]]) -> list[Sighting]:
    """The sightings of certificates nobody was told of yet."""
    return [
        s
        for s in due
        if not any(abs(s.expires_on - d) <= SAME_CERT for d in told.get(s.test_id, ()))
    ]


async def evaluate(conn: asyncpg.Connection, batches: Sequence[ResultBatch], now: datetime) -> None:
    """The hook: emit one event per certificate newly under its test's mark."""
    seen = await sightings(conn)
    if not seen:
        return
    tests = {r["id"]: r for r in await conn.fetch(_TESTS, sorted(seen))}
    due = [s for t, s in sorted(seen.items()) if t in tests and s.days < _mark(tests[t])]
    if not due or not (due := untold(due, await _told(conn, due))):
        return
    # Two writers may see one certificate at once: the second waits here, then finds it told.
    await conn.execute(
        f"SELECT pg_advisory_xact_lock({_LOCK_CLASS}, (id % 2147483647)::int) "
        f"FROM unnest($1::bigint[]) AS id ORDER BY id",
        [s.test_id for s in due],
    )
    due = untold(due, await _told(conn, due))
    muted = await _muted(conn, due, tests)
    cell = batches[0].cell
    for s in due:
        if s.test_id in muted:
            NOTICES.labels("muted").inc()
            continue
        if await conn.fetchval(_REMEMBER, s.test_id, s.expires_on, s.days) is None:
            continue
        NOTICES.labels("emitted").inc()
        event = CertEvent(
            cell=cell,
            test_id=s.test_id,
            monitor_id=tests[s.test_id]["monitor_id"],
            expires_at_ms=s.expires_at_ms,
            checked_at_ms=s.checked_at_ms,
            days=s.days,
            region=s.region,
        )
        await conn.execute(
            "INSERT INTO event_outbox (routing_key, body) VALUES ($1, $2)",
            names.cert_key(cell),
            encode_cert_event(event),
        )


def _mark(test: asyncpg.Record) -> int:
    config = {
        k: json.loads(test[k]) for k in ("cert_warn_days", "warn_days") if test[k] is not None
    }
    return cert_warn_days(test["kind"], config)


async def _told(conn: asyncpg.Connection, due: list[Sighting]) -> dict[int, list[date]]:
    told: dict[int, list[date]] = {}
    for r in await conn.fetch(_TOLD, [s.test_id for s in due]):
        told.setdefault(r["test_id"], []).append(r["expires_on"])
    return told


async def _muted(
    conn: asyncpg.Connection, due: list[Sighting], tests: dict[int, asyncpg.Record]
) -> set[int]:
    if not due:
        return set()
    rows = await conn.fetch(
        _MUTED,
        [s.test_id for s in due],
        [tests[s.test_id]["monitor_id"] for s in due],
        [datetime.fromtimestamp(s.checked_at_ms / 1000, UTC) for s in due],
    )
    return {r["test"] for r in rows}


async def prune(conn: asyncpg.Connection, now: datetime) -> int:
    """Forget certificates long expired: no check reports them any more."""
    status = await conn.execute(
        "DELETE FROM cert_notices WHERE expires_on < $1", (now - KEEP_AFTER_EXPIRY).date()
    )
    return int(status.split()[-1])
