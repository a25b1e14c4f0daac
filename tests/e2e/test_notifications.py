"""An outage told once, its end told once, and nothing told under maintenance: the real
processor, notifier and executor, a webhook channel made through the API, and a receiver
that checks every signature."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from aiohttp import web

from notifier.channels.webhook import verify
from tests.e2e.conftest import Stack
from tests.e2e.test_walking_skeleton import _sign_up
from tests.helpers import wait_sync
from tests.targets import ThreadedServer

pytestmark = pytest.mark.e2e
SECRET = "e2e-webhook-secret-0123"


class Receiver:
    """Records each webhook as (event, incident id); refuses a bad signature with a 401."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []
        self.bad_signatures = 0
        self._lock = threading.Lock()
        app = web.Application()
        app.add_routes([web.post("/hook", self.hook)])
        self.server = ThreadedServer(app).start()

    async def hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not verify(
            SECRET,
            request.headers.get("X-Vigil-Timestamp", ""),
            body,
            request.headers.get("X-Vigil-Signature", ""),
        ):
            self.bad_signatures += 1
            return web.Response(status=401)
        doc = json.loads(body)
        with self._lock:
            self.events.append((doc["event"], doc["notification"]["incident_id"]))
        return web.Response(text="ok")

    def seen(self) -> list[tuple[str, int]]:
        with self._lock:
            return list(self.events)


class Switch:
    def __init__(self) -> None:
        self.healthy = True
        app = web.Application()
        app.add_routes([web.get("/", self.page)])
        self.server = ThreadedServer(app).start()

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(status=200 if self.healthy else 503, text="shop")


@pytest.fixture
def client(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{stack.api_url}/api/v1", timeout=10) as client:
        _sign_up(client)
        yield client


def _incidents(database_url: str, test_id: int) -> list[asyncpg.Record]:
    async def fetch() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(database_url)
        try:
            return await conn.fetch(
                "SELECT id, state, resolved_at FROM incidents WHERE test_id = $1 ORDER BY id",
                test_id,
            )
        finally:
            await conn.close()

    return asyncio.run(fetch())


def _outage(site: Switch, database_url: str, test_id: int, before: int) -> int:
    """Take the site down until an incident opens, bring it back until it resolves."""
    site.healthy = False
    opened = wait_sync(
        lambda: (rows := _incidents(database_url, test_id)) and len(rows) > before and rows[-1],
        "an incident to open",
    )
    site.healthy = True
    wait_sync(
        lambda: _incidents(database_url, test_id)[-1]["resolved_at"] is not None,
        "the incident to resolve",
    )
    return opened["id"]


def test_an_outage_is_told_once_its_end_once_and_maintenance_keeps_quiet(
    stack: Stack, stack_services: tuple[str, str, str], client: httpx.Client
) -> None:
    database_url = stack_services[0]
    receiver, site = Receiver(), Switch()
    monitor = client.post(
        "/monitors",
        json={
            "name": "Shop",
            "tests": [
                {"kind": "http", "url": f"{site.server.url}/", "interval_s": 1, "timeout_s": 0.5}
            ],
        },
    )
    assert monitor.status_code == 201, monitor.text
    monitor_id, test_id = monitor.json()["id"], monitor.json()["tests"][0]["id"]
    channel = client.post(
        "/notification-channels",
        json={
            "name": "ops",
            "kind": "webhook",
            "config": {"url": f"{receiver.server.url}/hook", "secret": SECRET},
        },
    )
    assert channel.status_code == 201, channel.text
    channel_id = channel.json()["id"]
    assert (
        client.post(
            f"/notification-channels/{channel_id}/monitors", json={"monitor_id": monitor_id}
        ).status_code
        == 201
    )
    wait_sync(
        lambda: client.get(f"/monitors/{monitor_id}").json()["status"] == "up",
        "the monitor to be up",
    )

    first = _outage(site, database_url, test_id, 0)
    wait_sync(lambda: ("resolved", first) in receiver.seen(), "the resolved webhook")
    assert receiver.seen() == [("opened", first), ("resolved", first)]

    # Under maintenance the next outage is told to nobody, nor is its end.
    now = datetime.now(UTC)
    window = client.post(
        "/maintenance-windows",
        json={
            "title": "upgrade",
            "monitor_id": monitor_id,
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
        },
    )
    assert window.status_code == 201, window.text
    second = _outage(site, database_url, test_id, 1)
    log = stack.logs / "notifier.log"
    for kind in ("opened", "resolved"):
        wait_sync(
            lambda kind=kind: any(
                "incident event muted by maintenance" in line
                and f"incident={second}" in line
                and f"kind={kind}" in line
                for line in log.read_text().splitlines()
            ),
            f"the {kind} event of the muted incident to be handled",
        )

    # A channel test is not muted: it arrives (signed), and after it nothing else came.
    assert client.post(f"/notification-channels/{channel_id}/test").status_code == 202
    wait_sync(lambda: ("test", None) in receiver.seen(), "the test notification")
    assert receiver.seen() == [("opened", first), ("resolved", first), ("test", None)]
    assert receiver.bad_signatures == 0
    attempts = client.get(f"/notification-channels/{channel_id}/attempts").json()["items"]
    assert [a["outcome"] for a in attempts] == ["sent"] * 3
    stack.assert_running()
    site.server.stop()
    receiver.server.stop()
