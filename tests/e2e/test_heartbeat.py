"""A heartbeat test on the real stack: a job pings it with curl, stops, and the owner is told
once when it goes down and once when it is back; /fail and an exit status go down at once."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import Stack
from tests.e2e.test_notifications import SECRET, Receiver, _incidents
from tests.e2e.test_walking_skeleton import _sign_up
from tests.helpers import wait_sync

pytestmark = pytest.mark.e2e


@pytest.fixture
def client(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{stack.api_url}/api/v1", timeout=10) as client:
        _sign_up(client)
        yield client


def curl(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """What a crontab line runs."""
    return subprocess.run(
        ["curl", "-fsS", "--retry", "3", "-m", "10", *args, url],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _heartbeat(client: httpx.Client, name: str, **schedule: int) -> tuple[int, int, str]:
    monitor = client.post(
        "/monitors", json={"name": name, "tests": [{"kind": "heartbeat", **schedule}]}
    )
    assert monitor.status_code == 201, monitor.text
    test = monitor.json()["tests"][0]
    assert test["heartbeat"]["status"] == "new"
    return monitor.json()["id"], test["id"], test["ping_url"]


def _status(client: httpx.Client, monitor_id: int) -> str:
    return client.get(f"/monitors/{monitor_id}").json()["tests"][0]["heartbeat"]["status"]


def test_a_silent_job_is_late_then_down_told_once_and_its_return_told_once(
    stack: Stack, stack_services: tuple[str, str, str], client: httpx.Client
) -> None:
    database_url = stack_services[0]
    receiver = Receiver()
    monitor_id, test_id, ping_url = _heartbeat(client, "nightly backup", interval_s=3, grace_s=3)
    channel = client.post(
        "/notification-channels",
        json={
            "name": "ops",
            "kind": "webhook",
            "config": {"url": f"{receiver.server.url}/hook", "secret": SECRET},
        },
    )
    assert channel.status_code == 201, channel.text
    assert (
        client.post(
            f"/notification-channels/{channel.json()['id']}/monitors",
            json={"monitor_id": monitor_id},
        ).status_code
        == 201
    )

    done = curl(ping_url)
    assert done.returncode == 0 and done.stdout == "OK", done
    wait_sync(lambda: _status(client, monitor_id) == "up", "the first ping to count")
    assert client.get(f"/monitors/{monitor_id}").json()["status"] == "up"

    # The job stops: late after the period (nobody told), down after the grace.
    wait_sync(lambda: _status(client, monitor_id) == "late", "the test to be late", timeout=20)
    assert receiver.seen() == []
    opened = wait_sync(lambda: _incidents(database_url, test_id), "an incident", timeout=30)
    assert _status(client, monitor_id) == "down"
    wait_sync(lambda: receiver.seen(), "the webhook", timeout=30)
    assert receiver.seen() == [("opened", opened[0]["id"])]
    assert receiver.bad_signatures == 0

    # It runs again: recovered, told once.
    assert curl(ping_url).returncode == 0
    wait_sync(
        lambda: _incidents(database_url, test_id)[0]["resolved_at"] is not None,
        "the incident to resolve",
    )
    wait_sync(lambda: len(receiver.seen()) == 2, "the recovery webhook")
    assert receiver.seen() == [("opened", opened[0]["id"]), ("resolved", opened[0]["id"])]
    assert len(_incidents(database_url, test_id)) == 1
    results = client.get(f"/tests/{test_id}/results").json()["items"]
    assert [r["status"] for r in results][:3] == ["up", "down", "up"]
    assert results[1]["error_kind"] == "missed"


@pytest.mark.parametrize("suffix", ["/fail", "/3"])
def test_fail_and_a_nonzero_exit_status_go_down_at_once(
    stack: Stack, stack_services: tuple[str, str, str], client: httpx.Client, suffix: str
) -> None:
    monitor_id, test_id, ping_url = _heartbeat(client, "job", interval_s=3600, grace_s=3600)
    assert curl(ping_url + "/start", "--data-raw", "starting").returncode == 0
    assert curl(ping_url + suffix, "--data-raw", "disk full").returncode == 0
    wait_sync(lambda: _status(client, monitor_id) == "down", "the test to be down")
    incident = wait_sync(lambda: _incidents(stack_services[0], test_id), "an incident")
    assert incident[0]["state"] == "down"
    pings = client.get(f"/tests/{test_id}/pings").json()["items"]
    assert [p["kind"] for p in pings] == [("fail" if suffix == "/fail" else "success"), "start"]
    assert pings[0]["exit_status"] == (None if suffix == "/fail" else 3)
    assert pings[0]["body"] == "disk full" and pings[0]["duration_ms"] is not None
    assert pings[0]["source"] == "127.0.0.1" and pings[0]["user_agent"].startswith("curl/")
