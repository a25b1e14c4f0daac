"""Driving the incident state machine (`alerting`) from a group of stored batches.

Runs inside the storing transaction. Only tests that failed in the group, or that the
machine already remembers (a row in `alert_state`), are evaluated: a healthy test costs
nothing (PostgreSQL picks them from the group's rows). Evaluated tests are locked
(advisory, in id order) so two processors never run one test's machine at once. Incident
events go to the outbox in the same transaction and are published after commit (`outbox`).

Results that do not count (the node-health hook): results from a node listed in
`broken_nodes`, and results whose error_kind starts with `node_` (the executor's own
fault: 'node_network', 'node_clock'), and results the executor refused to run (error kind
`config`: the test is misconfigured, which is not an outage). They are stored, but they move
no incident.

A result DEGRADED only because its certificate nears expiry counts as up here: its notice is
told once by `certs`, not as an incident held open (and reminded of) until the renewal.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from result_processor.alerting import (
    KIND_RULES,
    Change,
    Observation,
    Rule,
    RuleError,
    TestAlert,
    describe,
)
from result_processor.alerting import step as machine_step
from result_processor.rows import INCOMING, when
from shared import names
from shared.codec import encode_incident_event
from shared.messages import CONFIG_ERROR, IncidentEvent, ResultBatch, Status

log = logging.getLogger(__name__)

NODE_FAULT_PREFIX = "node_"
CERT_EXPIRING = "cert_expiring"
MAX_ATTEMPTS = 10  # a result counts for at most this many failed tries
_LOCK_CLASS = 1986  # advisory lock namespace: one test's incident machine

# How many regions can agree on a test: those it runs in (`configured`), of which those that
# reported lately from a node that is not known to be broken (`regions`). A region cut off,
# without a live node, or with a broken one cannot confirm, and is not waited for.
_TESTS = """
SELECT t.id, t.monitor_id, t.kind, t.alert_rule, cardinality(t.regions) AS configured,
       (SELECT count(DISTINCT w.region) FROM results_week w
        WHERE w.test_id = t.id AND w.node <> ALL($3::text[])
          AND w.checked_at > u.ref - make_interval(secs => greatest(3 * t.interval_s, 300)))
       AS regions
FROM unnest($1::bigint[], $2::timestamptz[]) AS u(id, ref) JOIN tests t ON t.id = u.id
"""

# The tests to evaluate: those with a failure that counts in the group (not a broken node's,
# not the node's own fault, not a configuration the executor refused, not only a certificate
# nearing expiry), and those the machine
# remembers. Read from the group's rows in PostgreSQL: a healthy group costs one scan there,
# not a Python loop over every result.
_NODE_FAULT_LIKE = NODE_FAULT_PREFIX.replace("_", "\\_") + "%"
_WANTED = f"""
SELECT test_id FROM {INCOMING}
WHERE status <> {int(Status.UP)} AND node <> ALL($1::text[])
  AND (error_kind IS NULL
       OR error_kind NOT LIKE '{_NODE_FAULT_LIKE}'
          AND error_kind NOT IN ('{CERT_EXPIRING}', '{CONFIG_ERROR}'))
UNION
SELECT test_id FROM alert_state WHERE test_id IN (SELECT test_id FROM {INCOMING})
"""


def observations(
    batches: Sequence[ResultBatch], broken: set[str], wanted: set[int]
) -> dict[int, list[Observation]]:
    """The results of the `wanted` tests that count, by test, in time order."""
    out: dict[int, list[Observation]] = defaultdict(list)
    for b in batches:
        if b.node in broken:
            continue
        for r in b.results:
            if r.test_id not in wanted or not _counts(r.error_kind):
                continue
            status = Status.UP if r.error_kind == CERT_EXPIRING else r.status
            out[r.test_id].append(
                Observation(
                    b.region,
                    r.checked_at_ms,
                    status,
                    r.http_status,
                    r.error_kind,
                    r.error,
                    attempts_of(r.extras),
                )
            )
    for obs in out.values():
        obs.sort(key=lambda o: o.at_ms)
    return out


def attempts_of(extras: dict[str, Any] | None) -> int:
    """How many tries on the node a result stands for (`attempts` in its extras, 1-10)."""
    value = extras.get("attempts") if extras else None
    if isinstance(value, int) and not isinstance(value, bool):
        return min(max(value, 1), MAX_ATTEMPTS)
    return 1


def running_regions(configured: int | None, reported: int | None, observed: set[str]) -> int:
    """The regions that can agree on a test now: those that reported lately (or in this
    group), never more than the regions it is configured to run in."""
    running = max(reported or 0, len(observed))
    return min(running, configured) if configured else running


def _counts(error_kind: str | None) -> bool:
    """False for a result that says nothing about the target: the node's own fault, or a
    configuration the executor refused (the test never ran)."""
    if error_kind is None:
        return True
    return error_kind != CONFIG_ERROR and not error_kind.startswith(NODE_FAULT_PREFIX)


async def evaluate(conn: asyncpg.Connection, batches: Sequence[ResultBatch], now: datetime) -> None:
    broken = {r["node"] for r in await conn.fetch("SELECT node FROM broken_nodes")}
    wanted = {r["test_id"] for r in await conn.fetch(_WANTED, sorted(broken))}
    if not wanted:
        return
    by_test = observations(batches, broken, wanted)
    ids = sorted(by_test)
    if not ids:
        return
    await conn.execute(
        f"SELECT pg_advisory_xact_lock({_LOCK_CLASS}, (id % 2147483647)::int) "
        f"FROM unnest($1::bigint[]) AS id ORDER BY id",
        ids,
    )
    states = {
        r["test_id"]: TestAlert.from_json(json.loads(r["state"]))
        for r in await conn.fetch(
            "SELECT test_id, state FROM alert_state WHERE test_id = any($1::bigint[])", ids
        )
    }
    refs = [when(by_test[i][-1].at_ms) for i in ids]
    tests = {r["id"]: r for r in await conn.fetch(_TESTS, ids, refs, sorted(broken))}
    cell = batches[0].cell
    kept: dict[int, TestAlert] = {}
    for test_id in ids:
        info = tests.get(test_id)
        if info is None:
            continue  # a result of a deleted test: stored, but it alerts nobody
        s = states.get(test_id) or TestAlert()
        await _run(conn, cell, test_id, info, s, by_test[test_id])
        kept[test_id] = s
    await _save(conn, kept, known=set(states))


def _rule(info: asyncpg.Record) -> Rule:
    raw = info["alert_rule"]
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
        if data is None:  # SQL NULL, or a JSON null stored by the API: the kind's defaults
            return KIND_RULES.get(info["kind"], Rule())
        return Rule.from_data(data)
    except (RuleError, TypeError, ValueError) as exc:
        log.warning("bad alert rule, defaults used", extra={"test": info["id"], "error": str(exc)})
        return Rule()


async def _run(
    conn: asyncpg.Connection,
    cell: str,
    test_id: int,
    info: asyncpg.Record,
    s: TestAlert,
    obs: list[Observation],
) -> None:
    rule = _rule(info)
    regions = running_regions(info["configured"], info["regions"], {o.region for o in obs})
    evidence_before = json.dumps(s.evidence, sort_keys=True)
    for o in obs:
        change = machine_step(s, o, rule, regions)
        if change is not None:
            await _apply(conn, cell, test_id, info["monitor_id"], s, rule, change)
    if s.incident_id is not None and json.dumps(s.evidence, sort_keys=True) != evidence_before:
        await conn.execute(
            "UPDATE incidents SET evidence = $2, updated_at = now() WHERE id = $1",
            s.incident_id,
            json.dumps(s.evidence),
        )


async def _apply(
    conn: asyncpg.Connection,
    cell: str,
    test_id: int,
    monitor_id: int | None,
    s: TestAlert,
    rule: Rule,
    change: Change,
) -> None:
    at = when(change.at_ms)
    if change.kind == "opened":
        assert s.started_ms is not None
        s.incident_id = await conn.fetchval(
            "INSERT INTO incidents (test_id, monitor_id, state, cause, started_at, "
            "confirmed_at, evidence) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            test_id,
            monitor_id,
            change.phase,
            describe(s, rule),
            when(s.started_ms),
            at,
            json.dumps(s.evidence),
        )
        incident_id = s.incident_id
    else:
        incident_id = await conn.fetchval(
            "UPDATE incidents SET state = $2, resolved_at = $3, updated_at = now() "
            "WHERE test_id = $1 AND resolved_at IS NULL RETURNING id",
            test_id,
            "resolved" if change.kind == "resolved" else change.phase,
            at if change.kind == "resolved" else None,
        )
        if incident_id is None:
            return
    row = await conn.fetchrow("SELECT * FROM incidents WHERE id = $1", incident_id)
    await _enqueue(conn, cell, change.kind, row)


def _ms(t: datetime | None) -> int | None:
    return None if t is None else int(t.timestamp() * 1000)


async def _enqueue(conn: asyncpg.Connection, cell: str, kind: str, row: Any) -> None:
    event = IncidentEvent(
        kind=kind,
        cell=cell,
        incident_id=row["id"],
        test_id=row["test_id"],
        monitor_id=row["monitor_id"],
        state=row["state"],
        cause=row["cause"],
        started_at_ms=_ms(row["started_at"]) or 0,
        confirmed_at_ms=_ms(row["confirmed_at"]),
        resolved_at_ms=_ms(row["resolved_at"]),
    )
    await conn.execute(
        "INSERT INTO event_outbox (routing_key, body) VALUES ($1, $2)",
        names.incident_key(kind, cell),
        encode_incident_event(event),
    )


async def _save(conn: asyncpg.Connection, states: dict[int, TestAlert], known: set[int]) -> None:
    """Write the machines that remember something; forget the idle ones (one statement each)."""
    idle = [t for t, s in states.items() if s.idle and t in known]
    busy = sorted(t for t, s in states.items() if not s.idle)
    if idle:
        await conn.execute("DELETE FROM alert_state WHERE test_id = any($1::bigint[])", idle)
    if busy:
        await conn.execute(
            "INSERT INTO alert_state (test_id, state, updated_at) "
            "SELECT id, state, now() FROM unnest($1::bigint[], $2::jsonb[]) AS u(id, state) "
            "ON CONFLICT (test_id) DO UPDATE SET state = excluded.state, updated_at = now()",
            busy,
            [json.dumps(states[t].to_json()) for t in busy],
        )
