"""Maintenance windows of a monitor or of a status page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.api.helpers import User, assert_invalid, create_monitor, send_json

WINDOWS = "/api/v1/maintenance-windows"
NOW = datetime.now(UTC)


def span(start: timedelta, length: timedelta) -> dict[str, str]:
    return {"starts_at": (NOW + start).isoformat(), "ends_at": (NOW + start + length).isoformat()}


async def test_windows_of_a_monitor(client: httpx.AsyncClient, user: User) -> None:
    monitor = await create_monitor(client, user)
    now_on = await client.post(WINDOWS, json={
        "title": "upgrade", "monitor_id": monitor["id"],
        **span(-timedelta(hours=1), timedelta(hours=2))}, headers=user.headers)
    assert now_on.status_code == 201, now_on.text
    later = (await client.post(WINDOWS, json={
        "title": "later", "monitor_id": monitor["id"],
        **span(timedelta(days=1), timedelta(hours=1))}, headers=user.headers)).json()
    active = (await client.get(WINDOWS, params={"active": "true"}, headers=user.headers)).json()
    assert [w["id"] for w in active["items"]] == [now_on.json()["id"]]
    by_monitor = (await client.get(WINDOWS, params={"monitor_id": monitor["id"]},
                                   headers=user.headers)).json()
    assert len(by_monitor["items"]) == 2
    path = f"{WINDOWS}/{later['id']}"
    moved = await client.patch(path, json={"title": "moved"}, headers=user.headers)
    assert moved.json()["title"] == "moved"
    backwards = await client.patch(path, json={"ends_at": NOW.isoformat()}, headers=user.headers)
    assert_invalid(backwards, ["body"])
    assert (await client.delete(path, headers=user.headers)).status_code == 204
    assert (await client.get(path, headers=user.headers)).status_code == 404


async def test_a_window_of_a_missing_monitor_is_404(client: httpx.AsyncClient, user: User
                                                    ) -> None:
    response = await client.post(WINDOWS, json={
        "title": "x", "monitor_id": 999999999, **span(timedelta(0), timedelta(hours=1))},
        headers=user.headers)
    assert response.status_code == 404


ONE_HOUR = span(timedelta(0), timedelta(hours=1))


@pytest.mark.parametrize(("body", "loc"), [
    ({"title": "x", **ONE_HOUR}, ["body"]),  # no target
    ({"title": "x", "monitor_id": 1, "status_page_id": 1, **ONE_HOUR}, ["body"]),
    ({"title": "x", "monitor_id": 1, **span(timedelta(0), -timedelta(hours=1))}, ["body"]),
    ({"title": "x", "monitor_id": 1, **span(timedelta(0), timedelta(days=400))}, ["body"]),
    ({"title": "x", "monitor_id": 1, "starts_at": "2026-01-01T00:00:00",
      "ends_at": "2026-01-02T00:00:00+00:00"}, ["body", "starts_at"]),  # no offset
    ({"title": "x", "monitor_id": 1, "starts_at": "soon", "ends_at": "later"},
     ["body", "starts_at"]),
    ({"title": "x", "monitor_id": 0, **ONE_HOUR}, ["body", "monitor_id"]),
])
async def test_bad_windows_are_422(client: httpx.AsyncClient, user: User, body: dict,
                                   loc: list) -> None:
    assert_invalid(await send_json(client, "POST", WINDOWS, body, user.headers), loc)
