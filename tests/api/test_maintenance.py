"""Maintenance windows of a monitor or of a status page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.api.helpers import User, assert_invalid, create_monitor, send_json

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

WINDOWS = "/api/v1/maintenance-windows"
NOW = datetime.now(UTC)


def span(start: timedelta, length: timedelta) -> dict[str, str]:
    return {"starts_at": (NOW + start).isoformat(), "ends_at": (NOW + start + length).isoformat()}


async def test_windows_of_a_monitor(client: httpx.AsyncClient, user: User) -> None:
    monitor = await create_monitor(client, user)
    now_on = await client.post(
        WINDOWS,
        json={
            "title": "upgrade",
            "monitor_id": monitor["id"],
            **span(-timedelta(hours=1), timedelta(hours=2)),
        },
        headers=user.headers,
    )
    assert now_on.status_code == 201, now_on.text
    later = (
        await client.post(
            WINDOWS,
            json={
                "title": "later",
                "monitor_id": monitor["id"],
                **span(timedelta(days=1), timedelta(hours=1)),
            },
            headers=user.headers,
        )
    ).json()
    active = (await client.get(WINDOWS, params={"active": "true"}, headers=user.headers)).json()
    assert [w["id"] for w in active["items"]] == [now_on.json()["id"]]
    by_monitor = (
        await client.get(WINDOWS, params={"monitor_id": monitor["id"]}, headers=user.headers)
    ).json()
    assert len(by_monitor["items"]) == 2
    path = f"{WINDOWS}/{later['id']}"
    moved = await client.patch(path, json={"title": "moved"}, headers=user.headers)
    assert moved.json()["title"] == "moved"
    backwards = await client.patch(path, json={"ends_at": NOW.isoformat()}, headers=user.headers)
    assert_invalid(backwards, ["body"])
    assert (await client.delete(path, headers=user.headers)).status_code == 204
    assert (await client.get(path, headers=user.headers)).status_code == 404


async def test_a_window_of_a_missing_monitor_is_404(client: httpx.AsyncClient, user: User) -> None:
    response = await client.post(
        WINDOWS,
        json={"title": "x", "monitor_id": 999999999, **span(timedelta(0), timedelta(hours=1))},
        headers=user.headers,
    )
    assert response.status_code == 404


ONE_HOUR = span(timedelta(0), timedelta(hours=1))


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"title": "x", **ONE_HOUR}, ["body"]),  # no target
        ({"title": "x", "monitor_id": 1, "status_page_id": 1, **ONE_HOUR}, ["body"]),
        ({"title": "x", "monitor_id": 1, **span(timedelta(0), -timedelta(hours=1))}, ["body"]),
        ({"title": "x", "monitor_id": 1, **span(timedelta(0), timedelta(days=400))}, ["body"]),
        (
            {
                "title": "x",
                "monitor_id": 1,
                "starts_at": "2026-01-01T00:00:00",
                "ends_at": "2026-01-02T00:00:00+00:00",
            },
            ["body", "starts_at"],
        ),  # no offset
        (
            {"title": "x", "monitor_id": 1, "starts_at": "soon", "ends_at": "later"},
            ["body", "starts_at"],
        ),
        ({"title": "x", "monitor_id": 0, **ONE_HOUR}, ["body", "monitor_id"]),
    ],
)
async def test_bad_windows_are_422(
    client: httpx.AsyncClient, user: User, body: dict, loc: list
) -> None:
    assert_invalid(await send_json(client, "POST", WINDOWS, body, user.headers), loc)


WEEKLY = {
    "title": "patch day",
    "recurrence": "FREQ=WEEKLY;BYDAY=MO",
    "timezone": "Europe/Amsterdam",
    "starts_at": "2026-03-16T09:00:00+01:00",
    "ends_at": "2026-03-16T11:00:00+01:00",
}


async def test_a_recurring_window_moves_through_its_lifecycle_by_its_times(
    client: httpx.AsyncClient, user: User
) -> None:
    monitor = await create_monitor(client, user)
    made = await client.post(
        WINDOWS,
        json={**WEEKLY, "monitor_id": monitor["id"], "recurrence": "rrule:freq=weekly;byday=mo"},
        headers=user.headers,
    )
    assert made.status_code == 201, made.text
    window = made.json()
    assert window["recurrence"] == "FREQ=WEEKLY;BYDAY=MO"
    assert window["timezone"] == "Europe/Amsterdam"
    # Long past its first start, it is the next (or current) Monday's occurrence, at 09:00
    # Amsterdam whatever the offset of that day.
    start = datetime.fromisoformat(window["current"]["starts_at"])
    assert start.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%a %H:%M") == "Mon 09:00"
    assert window["phase"] in ("scheduled", "in_progress")
    single = (
        await client.post(
            WINDOWS,
            json={
                "title": "old",
                "monitor_id": monitor["id"],
                **span(-timedelta(days=3), timedelta(hours=1)),
            },
            headers=user.headers,
        )
    ).json()
    assert single["phase"] == "completed" and single["recurrence"] is None


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"recurrence": "FREQ=DAILY"}, ["body", "recurrence"]),
        ({"recurrence": "FREQ=WEEKLY;BYDAY=XX"}, ["body", "recurrence"]),
        ({"recurrence": "FREQ=WEEKLY;" + "A=1;" * 60}, ["body", "recurrence"]),
        ({"recurrence": 7}, ["body", "recurrence"]),
        ({"timezone": "Mars/Olympus"}, ["body", "timezone"]),
        ({"timezone": "x" * 65}, ["body", "timezone"]),
        ({"timezone": None}, ["body"]),  # a rule without its zone
        ({"recurrence": None}, ["body"]),  # a zone without a rule
    ],
)
async def test_bad_recurring_windows_are_422_and_store_nothing(
    client: httpx.AsyncClient, user: User, change: dict, loc: list
) -> None:
    monitor = await create_monitor(client, user)
    body = {**WEEKLY, "monitor_id": monitor["id"], **change}
    assert_invalid(await send_json(client, "POST", WINDOWS, body, user.headers), loc)
    listed = (
        await client.get(WINDOWS, params={"monitor_id": monitor["id"]}, headers=user.headers)
    ).json()
    assert listed["items"] == []
