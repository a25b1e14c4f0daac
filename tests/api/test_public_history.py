"""The public status page's history: 90 daily bars per monitor, incidents with updates."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest

from tests.api.helpers import client_for, create_monitor, monitor_body, new_user
from tests.api.history import pin_api_clock, seed
from tests.helpers import eventually

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

PUBLIC = "/api/v1/public/status-pages"


async def test_bars_and_incidents_with_their_updates(database_url, engine, monkeypatch) -> None:
    async with client_for(database_url, VIGIL_PUBLIC_CACHE_TTL="600") as api:
        user = await new_user(api)
        h = user.headers
        marker = f"private{uuid.uuid4().hex[:8]}"
        monitor = await create_monitor(api, user, **monitor_body("shop"))
        quiet = await create_monitor(api, user, **monitor_body("quiet"))
        history = await seed(engine, monitor["tests"][0]["id"], monitor["id"], marker)
        pin_api_clock(monkeypatch, history.now)
        slug = f"hist-{uuid.uuid4().hex[:8]}"
        page = (
            await api.post("/api/v1/status-pages", json={"slug": slug, "title": "Shop"}, headers=h)
        ).json()
        for m in (monitor, quiet):
            await api.post(
                f"/api/v1/status-pages/{page['id']}/monitors",
                headers=h,
                json={"monitor_id": m["id"]},
            )
        before = (await api.get(f"{PUBLIC}/{slug}")).json()
        assert [i["updates"] for i in before["incidents"]] == [[], []]
        # Writing an update marks the cached page stale: the next reader starts a refresh.
        made = await api.post(
            f"/api/v1/incidents/{history.open_id}/updates",
            headers=h,
            json={"message": "We are on it."},
        )
        assert made.status_code == 201, made.text

        async def updated() -> httpx.Response | None:
            response = await api.get(f"{PUBLIC}/{slug}")
            return response if response.json()["incidents"][0]["updates"] else None

        response = await eventually(updated, "the update on the page")
    assert response.status_code == 200
    body = response.json()
    bars = {b["monitor_id"]: b for b in body["bars"]}
    shop = bars[monitor["id"]]
    assert shop["first_day"] == (history.today - timedelta(days=89)).isoformat()
    assert len(shop["uptime"]) == len(shop["status"]) == 90
    assert (shop["status"][-1], shop["status"][-4], shop["status"][-2]) == (
        "degraded",
        "down",
        "up",
    )
    assert shop["uptime"][-2] == 0.99 and shop["uptime"][0] is None
    assert shop["incident_ids"] == {
        history.today.isoformat(): [history.open_id],
        (history.today - timedelta(days=3)).isoformat(): [history.resolved_id],
    }
    assert bars[quiet["id"]]["status"] == ["none"] * 90
    incidents = {i["id"]: i for i in body["incidents"]}
    assert list(incidents) == [history.open_id, history.resolved_id]  # newest first
    assert incidents[history.open_id]["severity"] == "degraded"
    assert incidents[history.resolved_id]["severity"] == "down"
    assert [u["message"] for u in incidents[history.open_id]["updates"]] == ["We are on it."]
    # Causes and evidence are for the team, not for the page's readers.
    assert marker not in response.text
