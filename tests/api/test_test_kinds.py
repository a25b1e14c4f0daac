"""Every kind through the real API: what the executor's validator accepts is stored, what it
refuses is a 422 naming the same field, and nothing of a refused body is stored."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from api.channels import MASK
from shared import checkspec
from shared.alert_rules import Rule
from shared.tables import tests
from tests.api.helpers import (
    User,
    assert_invalid,
    client_for,
    create_monitor,
    new_user,
    send_json,
    stored_counts,
)

pytestmark = pytest.mark.integration

MONITORS = "/api/v1/monitors"
PG = "postgresql://monitor:pw@db.example.com/app"

# (kind, config): good and bad configs of every kind, as a user would send them.
TABLE: list[tuple[str, dict[str, Any]]] = [
    ("http", {"url": "https://example.com/health"}),
    (
        "http",
        {
            "url": "https://example.com/",
            "method": "POST",
            "body": '{"a": 1}',
            "headers": {"Content-Type": "application/json"},
            "contains": "ok",
            "not_contains": "error",
            "regex": r"v\d+",
            "json_path": "$.status",
            "json_expected": "ok",
            "basic_auth": {"username": "u", "password": "p"},
            "follow_redirects": False,
            "verify_tls": False,
            "degraded_ms": 500,
            "retries": 0,
            "expected_status": [200, 204],
            "cert_warn_days": 0,
        },
    ),
    ("http", {"url": "tcp://example.com:80"}),
    ("http", {"url": "https://example.com/", "regex": "(unclosed"}),
    ("http", {"url": "https://example.com/", "json_path": "$..x["}),
    ("http", {"url": "https://example.com/", "headers": {"Bad Name": "x"}}),
    ("http", {"url": "https://example.com/", "headers": {"X-A": "one\r\nX-B: two"}}),
    ("http", {"url": "https://example.com/", "method": "FETCH"}),
    ("http", {"url": "https://example.com/", "basic_auth": {"username": "a:b"}}),
    ("http", {"url": "https://example.com/", "ca_pem": "not a certificate"}),
    ("http", {"url": "https://example.com/", "degraded_ms": 0}),
    ("http", {"url": "https://example.com/", "retries": 6}),
    ("http", {"url": "https://example.com/", "contains": "a\u0000b"}),
    ("http", {"url": "https://example.com/", "body": "x" * 70_000}),
    ("tcp", {"url": "tcp://example.com:5432", "degraded_ms": 100}),
    ("tcp", {"url": "tcp://example.com"}),  # no port
    ("tcp", {"url": "https://example.com/"}),
    ("tls", {"url": "tls://example.com", "server_name": "example.org", "warn_days": 30}),
    ("tls", {"url": "tls://example.com:8443", "cert_warn_days": 7}),
    ("tls", {"url": "tls://example.com", "warn_days": 400}),
    ("tls", {"url": "smtp://example.com"}),
    ("ping", {"url": "icmp://example.com", "count": 5}),
    ("ping", {"url": "icmp://example.com", "count": 0}),
    ("ping", {"url": "icmp://example.com", "count": 11}),
    ("ping", {"url": "dns://example.com"}),
    (
        "dns",
        {
            "url": "dns://9.9.9.9",
            "name": "example.com",
            "record_type": "MX",
            "expected": ["mail.example.com"],
            "tcp": True,
        },
    ),
    ("dns", {"url": "dns://9.9.9.9"}),  # name missing
    ("dns", {"url": "dns://9.9.9.9", "name": "example.com", "record_type": "ANY"}),
    ("dns", {"url": "dns://9.9.9.9", "name": "example.com", "expected": "one"}),
    ("smtp", {"url": "smtp://mail.example.com", "starttls": True, "banner_contains": "ESMTP"}),
    ("smtp", {"url": "smtps://mail.example.com"}),
    ("smtp", {"url": "smtp://mail.example.com", "starttls": "yes"}),
    ("redis", {"url": "redis://:pw@cache.example.com"}),
    ("redis", {"url": "rediss://cache.example.com:6380", "retries": 2}),
    ("redis", {"url": "mysql://cache.example.com"}),
    ("postgres", {"url": PG}),
    ("postgres", {"url": "postgres://db.example.com/app", "degraded_ms": 250.5}),
    ("postgres", {"url": "redis://db.example.com"}),
    ("mysql", {"url": "mysql://monitor@db.example.com/app"}),
    ("mysql", {"url": "postgresql://db.example.com/app"}),
    ("rabbitmq", {"url": "amqp://monitor:pw@mq.example.com/prod"}),
    ("rabbitmq", {"url": "amqps://mq.example.com"}),
    ("rabbitmq", {"url": "http://mq.example.com"}),
]


def _verdict(kind: str, config: dict[str, Any]) -> str | None:
    """What the executor's validator says: None (valid) or the field it refuses."""
    try:
        checkspec.validate(kind, config)
    except ValueError as exc:
        return str(exc).partition(":")[0]
    return None


@pytest.fixture(scope="module")
async def owner(client: httpx.AsyncClient) -> User:
    return await new_user(client)


@pytest.mark.parametrize(("kind", "config"), TABLE)
async def test_the_api_and_the_executor_agree(
    client: httpx.AsyncClient, owner: User, engine: AsyncEngine, kind: str, config: dict[str, Any]
) -> None:
    before = await stored_counts(engine, owner.id)
    body = {"name": kind, "tests": [{"kind": kind, **config}]}
    answer = await send_json(client, "POST", MONITORS, body, owner.headers)
    field = _verdict(kind, config)
    if field is None:
        assert answer.status_code == 201, answer.text
        [test] = answer.json()["tests"]
        async with engine.connect() as conn:
            stored = await conn.scalar(select(tests.c.config).where(tests.c.id == test["id"]))
        assert checkspec.validate(kind, stored)  # the executor runs what was stored
        assert {k: v for k, v in stored.items() if k in config} == config
    else:
        assert_invalid(answer, ["body", "tests", 0, field])
        assert await stored_counts(engine, owner.id) == before  # nothing stored


def test_the_table_has_good_and_bad_configs_of_every_kind() -> None:
    good = {kind for kind, config in TABLE if _verdict(kind, config) is None}
    bad = {kind for kind, config in TABLE if _verdict(kind, config) is not None}
    assert good == bad == set(checkspec.VALIDATORS)


GARBAGE: dict[str, tuple[Any, list[str | int]]] = {
    "unknown kind": ({"kind": "gopher", "url": "gopher://x"}, ["kind"]),
    "unknown field": ({"kind": "tcp", "url": "tcp://example.com:1", "colour": 1}, ["colour"]),
    "another kind's field": ({"kind": "tcp", "url": "tcp://example.com:1", "count": 3}, ["count"]),
    "a heartbeat's field on a check": (
        {"kind": "tcp", "url": "tcp://example.com:1", "grace_s": 60},
        ["grace_s"],
    ),
    "a check's field on a heartbeat": ({"kind": "heartbeat", "contains": "x"}, ["contains"]),
    "a heartbeat with a url": ({"kind": "heartbeat", "url": "https://example.com/"}, ["url"]),
    "bad cron": ({"kind": "heartbeat", "cron": "every day"}, ["cron"]),
    "bad tz": ({"kind": "heartbeat", "cron": "0 3 * * *", "tz": "Mars/Olympus"}, ["tz"]),
    "url not a scheme at all": ({"kind": "tcp", "url": "gopher://example.com:1"}, ["url"]),
    "url missing": ({"kind": "dns", "name": "example.com"}, ["url"]),
    "lone surrogate": (
        {"kind": "http", "url": "https://example.com/", "not_contains": "\ud800"},
        ["not_contains"],
    ),
    "surrogate in a header": (
        {"kind": "http", "url": "https://example.com/", "headers": {"X-A": "\udfff"}},
        ["headers"],
    ),
    "alert rule not an object": (
        {"kind": "tcp", "url": "tcp://example.com:1", "alert_rule": 3},
        ["alert_rule"],
    ),
    "alert rule retries": (
        {"kind": "tcp", "url": "tcp://example.com:1", "alert_rule": {"retries": 11}},
        ["alert_rule", "retries"],
    ),
    "alert rule window": (
        {
            "kind": "tcp",
            "url": "tcp://example.com:1",
            "alert_rule": {"threshold": {"max_failures": 3, "window_s": 1}},
        },
        ["alert_rule", "threshold", "window_s"],
    ),
    "alert rule unknown": (
        {"kind": "tcp", "url": "tcp://example.com:1", "alert_rule": {"retry": 1}},
        ["alert_rule", "retry"],
    ),
    "threshold without a limit": (
        {
            "kind": "tcp",
            "url": "tcp://example.com:1",
            "alert_rule": {"threshold": {"window_s": 60}},
        },
        ["alert_rule", "threshold"],
    ),
    "private target of any kind": (
        {"kind": "postgres", "url": "postgresql://127.0.0.1/x"},
        ["url"],
    ),
    "metadata address by ping": ({"kind": "ping", "url": "icmp://169.254.169.254"}, ["url"]),
}


@pytest.mark.parametrize("case", list(GARBAGE))
async def test_garbage_is_a_422_naming_the_field(
    client: httpx.AsyncClient, owner: User, engine: AsyncEngine, case: str
) -> None:
    test, loc = GARBAGE[case]
    before = await stored_counts(engine, owner.id)
    answer = await send_json(
        client, "POST", MONITORS, {"name": "x", "tests": [test]}, owner.headers
    )
    assert_invalid(answer, ["body", "tests", 0, *loc])
    assert await stored_counts(engine, owner.id) == before


async def test_a_body_over_the_request_limit_is_refused_before_parsing(
    client: httpx.AsyncClient, owner: User, engine: AsyncEngine
) -> None:
    """A 10 MB `body` field never reaches a validator: the request limit (1 MiB) answers
    413; under it, the field's own limit is a 422 naming `body` (in TABLE)."""
    before = await stored_counts(engine, owner.id)
    test = {"kind": "http", "url": "https://example.com/", "body": "x" * (10 << 20)}
    answer = await send_json(
        client, "POST", MONITORS, {"name": "x", "tests": [test]}, owner.headers
    )
    assert answer.status_code == 413
    assert await stored_counts(engine, owner.id) == before


async def test_a_body_that_is_not_utf8_is_refused(
    client: httpx.AsyncClient, owner: User, engine: AsyncEngine
) -> None:
    """Bytes that are not UTF-8 are not JSON: FastAPI answers 400 before any field exists
    (text that cannot be UTF-8 inside valid JSON, a lone surrogate, is a 422 naming its
    field: GARBAGE)."""
    before = await stored_counts(engine, owner.id)
    raw = b'{"name": "x", "tests": [{"kind": "tcp", "url": "tcp://ex\xffample.com:1"}]}'
    answer = await client.post(
        MONITORS, content=raw, headers={**owner.headers, "Content-Type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    assert await stored_counts(engine, owner.id) == before


async def test_a_test_added_or_patched_is_judged_by_the_same_validator(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    monitor = await create_monitor(
        client,
        user,
        name="db",
        tests=[{"kind": "dns", "url": "dns://9.9.9.9", "name": "example.com"}],
    )
    tests_path = f"{MONITORS}/{monitor['id']}/tests"
    assert_invalid(
        await client.post(
            tests_path,
            json={"kind": "ping", "url": "icmp://x.io", "count": 0},
            headers=user.headers,
        ),
        ["body", "count"],
    )
    path = f"{tests_path}/{monitor['tests'][0]['id']}"
    for patch, loc in [
        ({"record_type": "ANY"}, ["body", "record_type"]),
        ({"name": ""}, ["body", "name"]),
        ({"url": "tcp://9.9.9.9:53"}, ["body", "url"]),
        ({"count": 2}, ["body", "count"]),
        ({"kind": "tcp"}, ["body", "kind"]),
        (
            {"alert_rule": {"threshold": {"max_5xx": 0}}},
            ["body", "alert_rule", "threshold", "max_5xx"],
        ),
    ]:
        assert_invalid(await client.patch(path, json=patch, headers=user.headers), loc)
    changed = await client.patch(
        path,
        json={
            "record_type": "AAAA",
            "expected": ["::1"],
            "alert_rule": {"retries": 0, "regions": 1},
        },
        headers=user.headers,
    )
    assert changed.status_code == 200, changed.text
    answered = changed.json()
    assert answered["config"] == {
        "url": "dns://9.9.9.9",
        "name": "example.com",
        "record_type": "AAAA",
        "expected": ["::1"],
    }
    assert answered["alert_rule"] == {"retries": 0, "regions": 1, "recover_after": 2}
    async with engine.connect() as conn:
        rule = await conn.scalar(select(tests.c.alert_rule).where(tests.c.id == answered["id"]))
    assert Rule.from_data(rule) == Rule(retries=0, regions=1)  # what the processor reads
    assert await stored_counts(engine, user.id) == (1, 1)


async def test_secrets_are_masked_and_kept_when_the_mask_comes_back(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    monitor = await create_monitor(
        client,
        user,
        name="secrets",
        tests=[
            {
                "kind": "http",
                "url": "https://app:url-secret@example.com/",
                "basic_auth": {"username": "u", "password": "auth-secret"},
                "headers": {
                    "Authorization": "Bearer header-secret",
                    "X-Api-Key": "key-secret",
                    "Accept": "text/plain",
                },
            },
            {"kind": "postgres", "url": "postgresql://monitor:db-secret@db.example.com/app"},
        ],
    )
    answered = json.dumps(monitor)
    read = (await client.get(f"{MONITORS}/{monitor['id']}", headers=user.headers)).text
    for secret in ("url-secret", "auth-secret", "header-secret", "key-secret", "db-secret"):
        assert secret not in answered and secret not in read
    http, pg = monitor["tests"]
    assert http["config"]["url"] == f"https://app:{MASK}@example.com/"
    assert http["config"]["headers"] == {
        "Authorization": MASK,
        "X-Api-Key": MASK,
        "Accept": "text/plain",
    }
    assert pg["config"]["url"] == f"postgresql://monitor:{MASK}@db.example.com/app"
    # A client that edits what it read sends the masks back: the secrets stay.
    path = f"{MONITORS}/{monitor['id']}/tests/{http['id']}"
    edited = {**http["config"], "contains": "ok"}
    assert (await client.patch(path, json=edited, headers=user.headers)).status_code == 200
    async with engine.connect() as conn:
        stored = await conn.scalar(select(tests.c.config).where(tests.c.id == http["id"]))
    assert stored["url"] == "https://app:url-secret@example.com/"
    assert stored["basic_auth"]["password"] == "auth-secret"
    assert stored["headers"]["Authorization"] == "Bearer header-secret"
    assert stored["contains"] == "ok"
    # ... but not to another host, which would receive them.
    moved = {**edited, "url": f"https://app:{MASK}@elsewhere.example/"}
    assert_invalid(await client.patch(path, json=moved, headers=user.headers), ["body", "url"])
    moved = {"url": "https://elsewhere.example/", "headers": edited["headers"]}
    assert_invalid(await client.patch(path, json=moved, headers=user.headers), ["body", "headers"])
    moved = {"url": "https://elsewhere.example/"}  # the stored secrets would follow unseen
    assert_invalid(
        await client.patch(path, json=moved, headers=user.headers), ["body", "basic_auth"]
    )
    bad = await client.patch(
        path,
        json={"headers": {"Authorization": "Bearer echo-secret", "Bad Name": "x"}},
        headers=user.headers,
    )
    assert_invalid(bad, ["body", "headers"])
    assert "echo-secret" not in bad.text  # a 422 does not echo credentials either
    moved = {"url": "https://elsewhere.example/", "basic_auth": None, "headers": {}}
    assert (await client.patch(path, json=moved, headers=user.headers)).status_code == 200


async def test_create_and_edit_agree_on_the_default_timeout(database_url: str, user: User) -> None:
    async with client_for(database_url, VIGIL_MIN_INTERVAL="5") as api:
        monitor = await create_monitor(
            api,
            user,
            name="fast",
            tests=[{"kind": "tcp", "url": "tcp://example.com:22", "interval_s": 10}],
        )
        [test] = monitor["tests"]
        assert test["timeout_s"] == 5.0  # the default follows a short interval
        path = f"{MONITORS}/{monitor['id']}/tests/{test['id']}"
        for patch in ({"enabled": False}, {"enabled": True}, {"interval_s": 5}, {"retries": 0}):
            answer = await api.patch(path, json=patch, headers=user.headers)
            assert answer.status_code == 200, (patch, answer.text)
        assert answer.json()["timeout_s"] == 2.5  # 5.0 does not fit: the default again


async def test_a_row_todays_rules_refuse_can_still_be_paused_and_deleted(
    client: httpx.AsyncClient, user: User, engine: AsyncEngine
) -> None:
    """A row stored by an older version (timeout = interval, an HTTP URL on a TCP test)."""
    monitor = await create_monitor(client, user)
    [test] = monitor["tests"]
    async with engine.begin() as conn:
        await conn.execute(
            update(tests)
            .where(tests.c.id == test["id"])
            .values(
                kind="tcp", interval_s=60, timeout_s=60.0, config={"url": "http://example.com:25/"}
            )
        )
    path = f"{MONITORS}/{monitor['id']}/tests/{test['id']}"
    paused = await client.patch(path, json={"enabled": False}, headers=user.headers)
    assert paused.status_code == 200, paused.text
    assert paused.json()["enabled"] is False
    refused = await client.patch(path, json={"enabled": True}, headers=user.headers)
    assert refused.status_code == 422  # resuming it runs it: it must be valid first
    fixed = await client.patch(
        path,
        json={"enabled": True, "url": "tcp://example.com:25", "timeout_s": 5},
        headers=user.headers,
    )
    assert fixed.status_code == 200, fixed.text
    assert (await client.delete(path, headers=user.headers)).status_code == 204


async def test_openapi_shows_one_member_per_kind(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/api/v1/openapi.json")).json()["components"]["schemas"]
    union = schemas["TestIn"]
    mapping = union["discriminator"]["mapping"]
    assert set(mapping) == {*checkspec.OPTIONS, "heartbeat"}
    for kind, ref in mapping.items():
        member = schemas[ref.rsplit("/", 1)[1]]
        names = set(member["properties"])
        expected = set(checkspec.OPTIONS.get(kind, {})) or {"grace_s", "cron", "tz"}
        assert expected <= names, kind
        assert {"kind", "interval_s", "timeout_s", "regions", "alert_rule"} <= names
        assert all(
            p.get("description") for n, p in member["properties"].items() if n in expected
        ), kind
    assert set(schemas["DnsTestIn"]["required"]) == {"kind", "url", "name"}
    assert schemas["TcpTestIn"]["properties"]["url"]["examples"] == ["tcp://db.example.com:5432"]


async def test_every_kind_example_of_the_openapi_document_is_accepted(
    client: httpx.AsyncClient, user: User
) -> None:
    schemas = (await client.get("/api/v1/openapi.json")).json()["components"]["schemas"]
    for ref in schemas["TestIn"]["discriminator"]["mapping"].values():
        [example] = schemas[ref.rsplit("/", 1)[1]]["examples"]
        answer = await client.post(
            MONITORS, json={"name": example["kind"], "tests": [example]}, headers=user.headers
        )
        assert answer.status_code == 201, (example, answer.text)
