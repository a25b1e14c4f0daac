"""A confirmed subscriber hears of what the owner posts, through the real stack (API, outbox,
processor, notifier, SMTP sink): a manual incident opened, updated and resolved is three
mails, a maintenance window scheduled, started and ended is three more, each once, with a
second notifier running, the first one restarted twice and the processor once."""

from __future__ import annotations

import asyncio
import re
import signal
import uuid
from datetime import UTC, datetime, timedelta
from email.message import Message

import asyncpg
import httpx
import pytest

from tests.e2e.conftest import Stack
from tests.e2e.test_browser_incident_and_channel import _api
from tests.helpers import wait_sync

pytestmark = pytest.mark.e2e


def _mails_to(stack: Stack, address: str) -> list[Message]:
    assert stack.smtp is not None
    return [m for m in list(stack.smtp.messages) if address in str(m["To"])]


def _subscribe(stack: Stack, slug: str, address: str) -> None:
    """Sign up through the public API and follow the mailed link: a confirmed subscriber."""
    public = f"{stack.api_url}/api/v1/public"
    signed = httpx.post(
        f"{public}/status-pages/{slug}/subscribers", json={"email": address}, timeout=10
    )
    assert signed.status_code == 202, signed.text
    [mail] = wait_sync(lambda: _mails_to(stack, address), "the confirmation mail")
    token = re.search(
        r"/subscription/confirm\?token=(\S+)", mail.get_body(("plain",)).get_content()
    ).group(1)
    confirmed = httpx.post(
        f"{public}/subscriptions/confirm", json={"token": token.replace("%2E", ".")}, timeout=10
    )
    assert confirmed.status_code == 200, confirmed.text


def _news(stack: Stack, address: str) -> list[str]:
    return [
        str(m["X-Vigil-Event"])
        for m in _mails_to(stack, address)
        if m["X-Vigil-Event"] != "subscribe_confirm"
    ]


def _restart(stack: Stack, name: str) -> None:
    old = stack.procs[name]
    old.send_signal(signal.SIGTERM)
    assert old.wait(30) == 0, stack.log_tail(name)
    stack.start(name)


def _ledger(database_url: str, address: str) -> dict[str, int] | None:
    """The reader's deliveries by state, once none is waiting or being sent."""

    async def count() -> dict[str, int]:
        conn = await asyncpg.connect(database_url)
        try:
            rows = await conn.fetch(
                "SELECT d.state, count(*) AS n FROM notification_deliveries d JOIN "
                "status_subscribers s ON s.id = d.subscriber_id WHERE s.address = $1 "
                "AND d.event_kind <> 'subscribe_confirm' GROUP BY d.state",
                address,
            )
        finally:
            await conn.close()
        return {r["state"]: r["n"] for r in rows}

    states = asyncio.run(count())
    return states if states and not {"waiting", "sending"} & set(states) else None


def test_manual_incident_and_maintenance_reach_a_subscriber_once_each(
    stack: Stack, stack_services: tuple[str, str, str]
) -> None:
    database_url = stack_services[0]
    owner = _api(stack, f"owner-{uuid.uuid4().hex[:8]}@example.com")
    monitor = owner.post(
        "/monitors",
        json={
            "name": "Checkout",
            "tests": [{"kind": "http", "url": f"{stack.frontend_url}/healthz", "interval_s": 60}],
        },
    )
    assert monitor.status_code == 201, monitor.text
    monitor_id = monitor.json()["id"]
    slug = f"news-{uuid.uuid4().hex[:8]}"
    page = owner.post(
        "/status-pages", json={"slug": slug, "title": "Shop status", "language": "fr"}
    ).json()
    assert (
        owner.post(
            f"/status-pages/{page['id']}/monitors", json={"monitor_id": monitor_id}
        ).status_code
        == 201
    )
    address = f"reader-{uuid.uuid4().hex[:8]}@example.com"
    _subscribe(stack, slug, address)
    second = stack.start("notifier-2", "notifier")  # two notifiers share the cell's queues
    try:
        url = f"/status-pages/{page['id']}/manual-incidents"
        made = owner.post(
            url,
            json={
                "title": "Paiements lents",
                "message": "On regarde.",
                "affected": [{"monitor_id": monitor_id, "impact": "major_outage"}],
            },
        )
        assert made.status_code == 201, made.text
        incident = made.json()["id"]
        wait_sync(lambda: _news(stack, address) == ["manual_opened"], "the opening's mail")
        assert (
            owner.post(
                f"{url}/{incident}/updates", json={"status": "identified", "message": "La banque."}
            ).status_code
            == 201
        )
        wait_sync(lambda: len(_news(stack, address)) == 2, "the update's mail")
        _restart(stack, "notifier")
        assert (
            owner.post(
                f"{url}/{incident}/updates", json={"status": "resolved", "message": "Réglé."}
            ).status_code
            == 201
        )
        wait_sync(lambda: len(_news(stack, address)) == 3, "the resolution's mail")
        opened = _mails_to(stack, address)[1]
        assert opened["Subject"] == "[Vigil] Incident : Paiements lents"  # the page's language
        assert "Checkout (panne majeure)" in opened.get_body(("plain",)).get_content()
        assert opened["List-Unsubscribe"]

        start = datetime.now(UTC) + timedelta(seconds=15)  # time for a busy processor
        window = owner.post(
            "/maintenance-windows",
            json={
                "title": "Base de données",
                "monitor_id": monitor_id,
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(seconds=4)).isoformat(),
            },
        )
        assert window.status_code == 201, window.text
        wait_sync(lambda: len(_news(stack, address)) == 4, "the maintenance's schedule")
        _restart(stack, "processor")  # what notices the phases
        wait_sync(lambda: len(_news(stack, address)) == 5, "the maintenance's start")
        _restart(stack, "notifier")
        wait_sync(lambda: len(_news(stack, address)) >= 6, "the maintenance's end")
        # Every delivery to the reader is settled in the ledger: nothing more is on its way.
        assert wait_sync(lambda: _ledger(database_url, address), "the ledger to settle") == {
            "sent": 6
        }
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0, stack.log_tail("notifier-2")
        del stack.procs["notifier-2"]
    assert _news(stack, address) == [
        "manual_opened",
        "manual_updated",
        "manual_resolved",
        "maintenance_scheduled",
        "maintenance_started",
        "maintenance_ended",
    ]
    stack.assert_running()
    owner.close()
