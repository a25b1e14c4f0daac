"""Tests of every kind and some options, made through the API as a user would, run by the real
executor against real peers: a TCP test goes up and down with its listener, an HTTP test whose
`contains` stops matching goes down (`content`), one slower than its `degraded_ms` is degraded;
TLS (a trustme certificate; down as `tls` without its CA), SMTP (aiosmtpd), DNS
(tests/dnspeer.py) and ping (loopback) go up and down with their peers; the machine's
PostgreSQL, Redis, MariaDB and RabbitMQ go up, and down with a wrong password or database.
Heartbeat tests are in test_heartbeat.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from aiohttp import web

from tests.dnspeer import Zone, dns_server_thread
from tests.e2e.conftest import Stack
from tests.e2e.test_walking_skeleton import _sign_up
from tests.executor.checks.tlspeer import CA_PEM, server_context, tls_server
from tests.helpers import wait_sync
from tests.sinks import smtp_sink
from tests.targets import ThreadedServer, in_thread, target_app

pytestmark = pytest.mark.e2e

FAST = {"interval_s": 1, "timeout_s": 0.8}


@pytest.fixture
def client(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{stack.api_url}/api/v1", timeout=10) as client:
        _sign_up(client)
        yield client


def _create(client: httpx.Client, *tests: dict[str, Any]) -> list[dict[str, Any]]:
    created = client.post("/monitors", json={"name": "kinds", "tests": list(tests)})
    assert created.status_code == 201, created.text
    return created.json()["tests"]


def _newest(client: httpx.Client, test_id: int, status: str) -> dict[str, Any] | None:
    items = client.get(f"/tests/{test_id}/results", params={"limit": 5}).json()["items"]
    return next((r for r in items if r["status"] == status), None)


def test_a_tcp_test_goes_up_then_down_with_its_listener(stack: Stack, client: httpx.Client) -> None:
    listener = ThreadedServer(target_app()).start()
    [tcp] = _create(
        client, {"kind": "tcp", "url": f"tcp://127.0.0.1:{listener.port}", "retries": 0, **FAST}
    )
    assert tcp["config"] == {"url": f"tcp://127.0.0.1:{listener.port}", "retries": 0}
    wait_sync(lambda: _newest(client, tcp["id"], "up"), "the TCP test to go up")
    listener.stop()
    down = wait_sync(lambda: _newest(client, tcp["id"], "down"), "the TCP test to go down")
    assert down["error_kind"] == "refused"
    stack.assert_running()


def test_http_content_and_latency_options_are_run(stack: Stack, client: httpx.Client) -> None:
    page = {"text": "status: all good"}

    async def changing(request: web.Request) -> web.Response:
        return web.Response(text=page["text"])

    app = target_app()
    app.router.add_get("/page", changing)
    site = ThreadedServer(app).start()
    try:
        content, slow = _create(
            client,
            {
                "kind": "http",
                "url": f"{site.url}/page",
                "contains": "all good",
                "retries": 0,
                **FAST,
            },
            {
                "kind": "http",
                "url": f"{site.url}/slow?s=0.3",
                "degraded_ms": 50,
                "retries": 0,
                **FAST,
            },
        )
        wait_sync(lambda: _newest(client, content["id"], "up"), "the content test to go up")
        page["text"] = "status: on fire"
        down = wait_sync(
            lambda: _newest(client, content["id"], "down"),
            "the content test to go down when its text is gone",
        )
        assert down["error_kind"] == "content"
        degraded = wait_sync(
            lambda: _newest(client, slow["id"], "degraded"), "the slow test to be degraded"
        )
        assert degraded["error_kind"] == "slow"
    finally:
        site.stop()
    stack.assert_running()


SERVICES = {  # the machine's own services, as the executor's check tests use them
    "postgres": (
        "postgresql://postgres@127.0.0.1:5432/postgres",
        "postgresql://postgres@127.0.0.1:5432/no_such_db_x",
    ),
    "redis": ("redis://127.0.0.1:6379", "redis://:wrong@127.0.0.1:6379"),
    "mysql": ("mysql://root@127.0.0.1:3306", "mysql://no_such_user:pw@127.0.0.1:3306"),
    "rabbitmq": ("amqp://guest:guest@127.0.0.1:5672/", "amqp://guest:wrong@127.0.0.1:5672/"),
}


def test_database_and_broker_tests_go_up_and_misconfigured_ones_down(
    stack: Stack, client: httpx.Client
) -> None:
    made = _create(
        client,
        *(
            {"kind": kind, "url": url, "retries": 0, "interval_s": 2, "timeout_s": 1.5}
            for kind, pair in SERVICES.items()
            for url in pair
        ),
    )
    for test, (kind, good) in zip(made[::2], ((k, p[0]) for k, p in SERVICES.items()), strict=True):
        assert test["kind"] == kind
        wait_sync(lambda t=test: _newest(client, t["id"], "up"), f"{kind} ({good}) to go up")
    for test in made[1::2]:
        wait_sync(
            lambda t=test: _newest(client, t["id"], "down"),
            f"{test['kind']} with bad credentials or database to go down",
        )
    # The passwords in these URLs are never answered in clear.
    assert "wrong" not in client.get("/monitors").text
    stack.assert_running()


def _up_then_down(
    client: httpx.Client, test: dict[str, Any], stop: Callable[[], None], error_kinds: set[str]
) -> None:
    """The test goes up, its peer is stopped or changed, and it goes down for that reason."""
    wait_sync(lambda: _newest(client, test["id"], "up"), f"the {test['kind']} test to go up")
    stop()
    down = wait_sync(
        lambda: _newest(client, test["id"], "down"), f"the {test['kind']} test to go down"
    )
    assert down["error_kind"] in error_kinds, down


def test_a_tls_test_goes_up_against_a_trusted_server_then_down_when_it_stops(
    stack: Stack, client: httpx.Client
) -> None:
    with ExitStack() as peer:
        port = peer.enter_context(in_thread(tls_server(server_context())))
        tls, untrusted = _create(
            client,
            {
                "kind": "tls",
                "url": f"tls://127.0.0.1:{port}",
                "ca_pem": CA_PEM,
                "warn_days": 7,
                "retries": 0,
                **FAST,
            },
            # Without the test CA, the same server's certificate is vouched for by no one.
            {"kind": "tls", "url": f"tls://127.0.0.1:{port}", "retries": 0, **FAST},
        )
        assert tls["config"]["warn_days"] == 7
        refused = wait_sync(
            lambda: _newest(client, untrusted["id"], "down"),
            "the TLS test without the CA to go down",
        )
        assert refused["error_kind"] == "tls", refused
        _up_then_down(client, tls, peer.close, {"refused"})
    stack.assert_running()


def test_an_smtp_test_goes_up_against_a_sink_then_down_when_it_stops(
    stack: Stack, client: httpx.Client
) -> None:
    with ExitStack() as peer:
        _, port = peer.enter_context(smtp_sink())
        [smtp] = _create(
            client,
            {
                "kind": "smtp",
                "url": f"smtp://127.0.0.1:{port}",
                "banner_contains": "Python SMTP",
                "retries": 0,
                **FAST,
            },
        )
        _up_then_down(client, smtp, peer.close, {"refused"})
    stack.assert_running()


def test_a_dns_test_goes_up_then_down_when_its_answer_changes(
    stack: Stack, client: httpx.Client
) -> None:
    zone: Zone = {("shop.kinds.test.", "A"): ["192.0.2.80"]}
    with dns_server_thread(zone) as port:
        [dns] = _create(
            client,
            {
                "kind": "dns",
                "url": f"dns://127.0.0.1:{port}",
                "name": "shop.kinds.test",
                "record_type": "A",
                "expected": ["192.0.2.80"],
                "retries": 0,
                **FAST,
            },
        )
        # The server now answers another address than the one the test expects.
        _up_then_down(
            client,
            dns,
            lambda: zone.update({("shop.kinds.test.", "A"): ["192.0.2.81"]}),
            {"content"},
        )
    stack.assert_running()


def test_a_ping_test_goes_up_on_loopback_and_one_of_a_silent_address_down(
    stack: Stack, client: httpx.Client
) -> None:
    # 203.0.113.0/24 is for documentation only: nothing there answers (RFC 5737).
    loopback, silent = _create(
        client,
        {"kind": "ping", "url": "icmp://127.0.0.1", "count": 2, "retries": 0, **FAST},
        {"kind": "ping", "url": "icmp://203.0.113.9", "count": 2, "retries": 0, **FAST},
    )
    up = wait_sync(lambda: _newest(client, loopback["id"], "up"), "ping of loopback to go up")
    assert up["latency_ms"] is not None
    down = wait_sync(
        lambda: _newest(client, silent["id"], "down"), "ping of a silent address to go down"
    )
    assert down["error_kind"] == "packet_loss", down
    stack.assert_running()
