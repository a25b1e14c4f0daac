"""One HTTP test travels the whole system: API -> scheduler -> RabbitMQ -> executor ->
RabbitMQ -> processor -> PostgreSQL -> API, watched as a user would, through the API."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import Stack
from tests.helpers import short_name, wait_sync
from tests.targets import ThreadedServer, target_app

pytestmark = pytest.mark.e2e


@pytest.fixture
def client(stack: Stack) -> Iterator[httpx.Client]:
    """An API client logged in as a new user."""
    with httpx.Client(base_url=f"{stack.api_url}/api/v1", timeout=10) as client:
        _sign_up(client)
        yield client


def _sign_up(client: httpx.Client) -> None:
    email, password = f"{short_name('user')}@example.com", "correct horse battery"
    assert client.post("/auth/signup", json={"email": email, "password": password}).status_code in (
        201,
        202,
    )  # 201: the cell's first
    token = client.post("/auth/login", json={"email": email, "password": password}).json()[
        "access_token"
    ]
    client.headers["Authorization"] = f"Bearer {token}"


def _results(client: httpx.Client, test_id: int) -> list[dict]:
    return client.get(f"/tests/{test_id}/results", params={"limit": 20}).json()["items"]


def test_a_monitor_goes_up_then_down_when_its_target_stops(
    stack: Stack, client: httpx.Client
) -> None:
    target = ThreadedServer(target_app()).start()
    body = {
        "name": "Shop",
        "tests": [{"kind": "http", "url": f"{target.url}/ok", "interval_s": 1, "timeout_s": 0.5}],
    }
    created = client.post("/monitors", json=body)
    assert created.status_code == 201, created.text
    monitor = created.json()
    test_id = monitor["tests"][0]["id"]

    ups = wait_sync(
        lambda: [r for r in _results(client, test_id) if r["status"] == "up"],
        "results of the new monitor through the API",
    )
    assert ups[0]["http_status"] == 200 and ups[0]["latency_ms"] > 0
    wait_sync(
        lambda: client.get(f"/monitors/{monitor['id']}").json()["status"] == "up",
        "the monitor to be up",
    )

    target.stop()
    down = wait_sync(
        lambda: [r for r in _results(client, test_id) if r["status"] == "down"],
        "a down result after the target stopped",
    )
    assert down[0]["error_kind"] == "refused"
    shown = wait_sync(
        lambda: (m := client.get(f"/monitors/{monitor['id']}").json())["status"] == "down" and m,
        "the monitor to turn down",
    )
    assert shown["tests"][0]["state"]["error_kind"] == "refused"
    stack.assert_running()


def test_a_malformed_monitor_is_refused_naming_the_field(client: httpx.Client) -> None:
    bad = {
        "name": "Bad",
        "tests": [{"kind": "http", "url": "ftp://example.com/", "interval_s": 1, "timeout_s": 0.5}],
    }
    answer = client.post("/monitors", json=bad)
    assert answer.status_code == 422
    assert any("url" in err["loc"] for err in answer.json()["detail"])
    assert client.get("/monitors").json()["items"] == []
