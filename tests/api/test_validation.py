"""Garbage in: every rule on a monitor and its tests is a 422 naming the field, storing nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.helpers import (
    User,
    assert_invalid,
    client_for,
    http_test,
    new_user,
    send_json,
    stored_counts,
)

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

MONITORS = "/api/v1/monitors"
MISSING = object()
TEST_0 = ["body", "tests", 0]


def with_test(**fields: Any) -> dict[str, Any]:
    """A monitor body whose one test has these fields changed (MISSING removes one)."""
    test = {k: v for k, v in http_test(**fields).items() if v is not MISSING}
    return {"name": "site", "tests": [test]}


BAD_MONITORS: dict[str, tuple[Any, list[str | int]]] = {
    "not an object": ([], ["body"]),
    "a string": ("monitor", ["body"]),
    "null": (None, ["body"]),
    "name missing": ({"tests": [http_test()]}, ["body", "name"]),
    "name empty": ({"name": "", "tests": [http_test()]}, ["body", "name"]),
    "name blank": ({"name": "   ", "tests": [http_test()]}, ["body", "name"]),
    "name too long": ({"name": "n" * 201, "tests": [http_test()]}, ["body", "name"]),
    "name huge": ({"name": "n" * 500_000, "tests": [http_test()]}, ["body", "name"]),
    # The document's maxLength is of the text as sent, not as stripped.
    "name too long padded": ({"name": " " + "n" * 200, "tests": [http_test()]}, ["body", "name"]),
    "name a number": ({"name": 7, "tests": [http_test()]}, ["body", "name"]),
    "name with NUL": ({"name": "a\x00b", "tests": [http_test()]}, ["body", "name"]),
    "name surrogate": ({"name": "a\ud800", "tests": [http_test()]}, ["body", "name"]),
    "unknown field": ({"name": "x", "tests": [http_test()], "owner": 1}, ["body", "owner"]),
    "tests missing": ({"name": "x"}, ["body", "tests"]),
    "tests empty": ({"name": "x", "tests": []}, ["body", "tests"]),
    "tests too many": ({"name": "x", "tests": [http_test()] * 21}, ["body", "tests"]),
    "tests an object": ({"name": "x", "tests": http_test()}, ["body", "tests"]),
    "test a number": ({"name": "x", "tests": [42]}, TEST_0),
    "second test bad": (
        {"name": "x", "tests": [http_test(), http_test(url="ftp://example.com/")]},
        ["body", "tests", 1, "url"],
    ),
    "second test too frequent": (
        {"name": "x", "tests": [http_test(), http_test(interval_s=10, timeout_s=1)]},
        ["body", "tests", 1, "interval_s"],
    ),
    "kind missing": (with_test(kind=MISSING), [*TEST_0, "kind"]),
    "kind unknown": (with_test(kind="ftp"), [*TEST_0, "kind"]),
    "kind a number": (with_test(kind=1), [*TEST_0, "kind"]),
    "url missing": (with_test(url=MISSING), [*TEST_0, "url"]),
    "url ftp": (with_test(url="ftp://example.com/"), [*TEST_0, "url"]),
    "url javascript": (with_test(url="javascript:alert(1)"), [*TEST_0, "url"]),
    "url no scheme": (with_test(url="example.com"), [*TEST_0, "url"]),
    "url no host": (with_test(url="http://"), [*TEST_0, "url"]),
    "url too long": (with_test(url="https://example.com/" + "a" * 2030), [*TEST_0, "url"]),
    "url with space": (with_test(url="http://exa mple.com/"), [*TEST_0, "url"]),
    "url with newline": (with_test(url="http://example.com/\nHost: x"), [*TEST_0, "url"]),
    "url bad port": (with_test(url="http://example.com:99999/"), [*TEST_0, "url"]),
    "url bad IPv6": (with_test(url="http://[::1/"), [*TEST_0, "url"]),
    "url a number": (with_test(url=5), [*TEST_0, "url"]),
    "method unknown": (with_test(method="FETCH"), [*TEST_0, "method"]),
    "method a list": (with_test(method=["GET"]), [*TEST_0, "method"]),
    "expected empty": (with_test(expected_status=[]), [*TEST_0, "expected_status"]),
    "expected a number": (with_test(expected_status=200), [*TEST_0, "expected_status"]),
    # shared.checkspec judges a kind's fields and names the field (not the list index).
    "expected 99": (with_test(expected_status=[99]), [*TEST_0, "expected_status"]),
    "expected 600": (with_test(expected_status=[200, 600]), [*TEST_0, "expected_status"]),
    "expected a string": (with_test(expected_status=["200"]), [*TEST_0, "expected_status"]),
    "expected too many": (with_test(expected_status=[200] * 21), [*TEST_0, "expected_status"]),
    "interval below minimum": (with_test(interval_s=10, timeout_s=5), [*TEST_0, "interval_s"]),
    "interval zero": (with_test(interval_s=0), [*TEST_0, "interval_s"]),
    "interval over a day": (with_test(interval_s=86401), [*TEST_0, "interval_s"]),
    "interval huge": (with_test(interval_s=10**30), [*TEST_0, "interval_s"]),
    "interval a string": (with_test(interval_s="60"), [*TEST_0, "interval_s"]),
    "interval a float": (with_test(interval_s=60.5), [*TEST_0, "interval_s"]),
    "interval a bool": (with_test(interval_s=True), [*TEST_0, "interval_s"]),
    "interval null": (with_test(interval_s=None), [*TEST_0, "interval_s"]),
    "timeout zero": (with_test(timeout_s=0), [*TEST_0, "timeout_s"]),
    "timeout negative": (with_test(timeout_s=-1), [*TEST_0, "timeout_s"]),
    "timeout over 60": (with_test(interval_s=300, timeout_s=61), [*TEST_0, "timeout_s"]),
    "timeout = interval": (with_test(interval_s=30, timeout_s=30), [*TEST_0, "timeout_s"]),
    "timeout NaN": (with_test(timeout_s=float("nan")), [*TEST_0, "timeout_s"]),
    "timeout infinite": (with_test(timeout_s=float("inf")), [*TEST_0, "timeout_s"]),
    "timeout a string": (with_test(timeout_s="10"), [*TEST_0, "timeout_s"]),
    "region upper case": (with_test(region="EU"), [*TEST_0, "region"]),
    "region leading dash": (with_test(region="-eu"), [*TEST_0, "region"]),
    "region too long": (with_test(region="r" * 33), [*TEST_0, "region"]),
    "region empty": (with_test(region=""), [*TEST_0, "region"]),
    "test unknown field": (with_test(interval=60), [*TEST_0, "interval"]),
}

PRIVATE_URLS = [
    "http://127.0.0.1/",
    "http://127.0.0.1:5432/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://[::1]/",
    "http://[::]/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://127.1/",
    "http://localhost:8080/",
    "http://api.localhost/",
]


@pytest.fixture(scope="module")
async def refused(client: httpx.AsyncClient) -> User:
    """One account for every refusal: if any bad body were stored, its counts would show it."""
    return await new_user(client)


@pytest.mark.parametrize("case", list(BAD_MONITORS))
async def test_bad_monitor_is_422_naming_the_field(
    client: httpx.AsyncClient, refused: User, engine: AsyncEngine, case: str
) -> None:
    body, loc = BAD_MONITORS[case]
    assert_invalid(await send_json(client, "POST", MONITORS, body, refused.headers), loc)
    assert await stored_counts(engine, refused.id) == (0, 0)


@pytest.mark.parametrize("url", PRIVATE_URLS)
async def test_private_targets_are_refused_by_default(
    client: httpx.AsyncClient, refused: User, engine: AsyncEngine, url: str
) -> None:
    response = await client.post(MONITORS, json=with_test(url=url), headers=refused.headers)
    assert_invalid(response, [*TEST_0, "url"])
    assert await stored_counts(engine, refused.id) == (0, 0)


async def test_private_targets_are_allowed_when_the_operator_says_so(database_url: str) -> None:
    async with client_for(database_url, VIGIL_ALLOW_PRIVATE_TARGETS="true") as api:
        user = await new_user(api)
        for url in PRIVATE_URLS:
            response = await api.post(MONITORS, json=with_test(url=url), headers=user.headers)
            assert response.status_code == 201, (url, response.text)


async def test_minimum_interval_comes_from_the_settings(database_url: str) -> None:
    body = with_test(interval_s=10, timeout_s=2)
    async with client_for(database_url, VIGIL_MIN_INTERVAL="5") as api:
        user = await new_user(api)
        assert (await api.post(MONITORS, json=body, headers=user.headers)).status_code == 201
    async with client_for(database_url, VIGIL_MIN_INTERVAL="11") as api:
        response = await api.post(MONITORS, json=body, headers=user.headers)
        assert_invalid(response, [*TEST_0, "interval_s"])
        assert response.json()["detail"][0]["ctx"] == {"ge": 11}


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"name": "x", "tests": [', "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"name=x", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00", "text/plain"),
        (b"", "application/json"),
    ],
)
async def test_a_body_that_is_not_json_is_refused(
    client: httpx.AsyncClient,
    refused: User,
    engine: AsyncEngine,
    content: bytes,
    content_type: str,
) -> None:
    headers = {**refused.headers, "Content-Type": content_type}
    response = await client.post(MONITORS, content=content, headers=headers)
    assert response.status_code in (400, 422), response.text
    assert await stored_counts(engine, refused.id) == (0, 0)


async def test_a_body_over_the_size_limit_is_413(
    client: httpx.AsyncClient, refused: User, engine: AsyncEngine
) -> None:
    body = {"name": "x" * (2 << 20), "tests": [http_test()]}
    response = await send_json(client, "POST", MONITORS, body, refused.headers)
    assert response.status_code == 413
    assert await stored_counts(engine, refused.id) == (0, 0)


async def test_errors_do_not_echo_passwords(client: httpx.AsyncClient) -> None:
    body = {"email": "someone@example.com", "password": "secret7"}
    response = await client.post("/api/v1/auth/signup", json=body)
    assert_invalid(response, ["body", "password"])
    assert "secret7" not in response.text


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"url": "ftp://example.com/"}, ["body", "url"]),
        ({"url": "http://10.0.0.1/"}, ["body", "url"]),
        ({"interval_s": 10, "timeout_s": 1}, ["body", "interval_s"]),
        ({"timeout_s": 0}, ["body", "timeout_s"]),
        ({"kind": "gopher"}, ["body", "kind"]),
        ({"cert_warn_days": -1}, ["body", "cert_warn_days"]),
        ({"cert_warn_days": 366}, ["body", "cert_warn_days"]),
        ({"cert_warn_days": "14"}, ["body", "cert_warn_days"]),
        ({"cert_warn_days": True}, ["body", "cert_warn_days"]),
        ({"cert_warn_days": 7.5}, ["body", "cert_warn_days"]),
        ({"cert_warn_days": None}, ["body", "cert_warn_days"]),
        (
            {"kind": "tcp", "url": "tcp://example.com:25", "cert_warn_days": 7},
            ["body", "cert_warn_days"],
        ),
    ],
)
async def test_bad_test_added_to_a_monitor_is_422(
    client: httpx.AsyncClient,
    user: User,
    engine: AsyncEngine,
    fields: dict[str, Any],
    loc: list[str],
) -> None:
    created = await client.post(MONITORS, json=with_test(), headers=user.headers)
    path = f"{MONITORS}/{created.json()['id']}/tests"
    assert_invalid(await client.post(path, json=http_test(**fields), headers=user.headers), loc)
    assert await stored_counts(engine, user.id) == (1, 1)
