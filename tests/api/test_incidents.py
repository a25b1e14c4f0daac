"""Incidents: list with filters and pages, detail with evidence, acknowledge, updates."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.helpers import User, assert_invalid, create_monitor, new_user, send_json
from tests.api.history import seed
from tests.api.test_team import invite_member

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

INCIDENTS = "/api/v1/incidents"


async def _seeded(client: httpx.AsyncClient, user: User, engine: AsyncEngine) -> dict:
    monitor = await create_monitor(client, user)
    history = await seed(engine, monitor["tests"][0]["id"], monitor["id"])
    return {"monitor": monitor, "history": history}


@pytest.fixture(scope="module")
async def owner(client: httpx.AsyncClient) -> User:
    """The module's account, whose incidents the tests that do not write share."""
    return await new_user(client)


@pytest.fixture(scope="module")
async def seeded(client: httpx.AsyncClient, owner: User, engine: AsyncEngine) -> dict:
    return await _seeded(client, owner, engine)


@pytest.fixture
async def fresh(client: httpx.AsyncClient, user: User, engine: AsyncEngine) -> dict:
    """Incidents of the test's own account, for tests that change them."""
    return await _seeded(client, user, engine)


async def _ids(client: httpx.AsyncClient, user: User, **params: object) -> list[int]:
    response = await client.get(INCIDENTS, params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    return [i["id"] for i in response.json()["items"]]


async def test_list_filters_by_state_monitor_and_range(client, owner, seeded) -> None:
    h, monitor_id = seeded["history"], seeded["monitor"]["id"]
    assert await _ids(client, owner) == [h.open_id, h.resolved_id]  # newest first
    assert await _ids(client, owner, state="open") == [h.open_id]
    assert await _ids(client, owner, state="resolved") == [h.resolved_id]
    assert await _ids(client, owner, monitor_id=monitor_id, range="24h") == [h.open_id]
    assert await _ids(client, owner, monitor_id=monitor_id, range="7d") == [
        h.open_id,
        h.resolved_id,
    ]
    other = await create_monitor(client, owner)
    assert await _ids(client, owner, monitor_id=other["id"]) == []


async def test_list_pages_with_a_cursor(client, owner, seeded) -> None:
    first = (await client.get(INCIDENTS, params={"limit": 1}, headers=owner.headers)).json()
    assert [i["id"] for i in first["items"]] == [seeded["history"].open_id]
    second = (
        await client.get(
            INCIDENTS, params={"limit": 1, "cursor": first["next"]}, headers=owner.headers
        )
    ).json()
    assert [i["id"] for i in second["items"]] == [seeded["history"].resolved_id]
    assert second["next"] is None


async def test_detail_shows_the_evidence_by_region(client, owner, seeded) -> None:
    h = seeded["history"]
    body = (await client.get(f"{INCIDENTS}/{h.resolved_id}", headers=owner.headers)).json()
    assert (body["state"], body["test_id"]) == ("resolved", seeded["monitor"]["tests"][0]["id"])
    [evidence] = body["evidence"]["eu"]
    assert (evidence["status"], evidence["error_kind"]) == ("down", "timeout")
    assert body["updates"] == [] and body["acknowledged_at"] is None


async def test_acknowledge_records_who_and_when_once(client, user, fresh) -> None:
    incident = f"{INCIDENTS}/{fresh['history'].open_id}"
    editor = await invite_member(client, user, "editor")
    first = await client.post(f"{incident}/acknowledge", headers=editor.headers)
    assert first.status_code == 200, first.text
    assert first.json()["acknowledged_by"] == editor.id
    assert first.json()["acknowledged_at"] is not None
    again = await client.post(f"{incident}/acknowledge", headers=user.headers)
    assert (again.json()["acknowledged_by"], again.json()["acknowledged_at"]) == (
        editor.id,
        first.json()["acknowledged_at"],
    )


async def test_updates_are_kept_in_order(client, user, fresh) -> None:
    incident = f"{INCIDENTS}/{fresh['history'].open_id}"
    for message in ("Investigating slow pages.", "  Fixed: a cache was cold.\nWatching.  "):
        made = await client.post(
            f"{incident}/updates", json={"message": message}, headers=user.headers
        )
        assert made.status_code == 201, made.text
        assert made.json()["author_id"] == user.id
    body = (await client.get(incident, headers=user.headers)).json()
    assert [u["message"] for u in body["updates"]] == [
        "Investigating slow pages.",
        "Fixed: a cache was cold.\nWatching.",
    ]


async def test_a_viewer_reads_but_cannot_write(client, owner, seeded) -> None:
    viewer = await invite_member(client, owner, "viewer")
    incident = f"{INCIDENTS}/{seeded['history'].open_id}"
    assert (await client.get(incident, headers=viewer.headers)).status_code == 200
    assert (await client.get(INCIDENTS, headers=viewer.headers)).status_code == 200
    assert (await client.post(f"{incident}/acknowledge", headers=viewer.headers)).status_code == 403
    assert (
        await client.post(f"{incident}/updates", json={"message": "hi"}, headers=viewer.headers)
    ).status_code == 403


async def test_another_account_cannot_see_or_touch_an_incident(client, owner, seeded) -> None:
    other = await new_user(client)
    h = seeded["history"]
    assert await _ids(client, other) == []
    assert await _ids(client, other, monitor_id=seeded["monitor"]["id"]) == []
    for method, path, body in (
        ("GET", f"{INCIDENTS}/{h.open_id}", None),
        ("POST", f"{INCIDENTS}/{h.open_id}/acknowledge", None),
        ("POST", f"{INCIDENTS}/{h.open_id}/updates", {"message": "x"}),
    ):
        response = await client.request(method, path, json=body, headers=other.headers)
        assert (response.status_code, response.json()) == (404, {"detail": "incident not found"}), (
            method,
            path,
        )
    body = (await client.get(f"{INCIDENTS}/{h.open_id}", headers=owner.headers)).json()
    assert body["acknowledged_at"] is None and body["updates"] == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"message": ""},
        {"message": "   "},
        {"message": 5},
        {"message": None},
        {"message": "x" * 5001},
        {"message": "a\x00b"},
        {"message": "bell\x07"},
        {"message": "\ud800"},
        {"message": ["x"]},
    ],
)
async def test_a_bad_update_is_refused_naming_the_field(client, owner, seeded, body) -> None:
    path = f"{INCIDENTS}/{seeded['history'].open_id}/updates"
    assert_invalid(await send_json(client, "POST", path, body, owner.headers), ["body", "message"])


async def test_an_update_with_an_unknown_field_is_refused(client, owner, seeded) -> None:
    path = f"{INCIDENTS}/{seeded['history'].open_id}/updates"
    response = await client.post(
        path, json={"message": "ok", "public": True}, headers=owner.headers
    )
    assert_invalid(response, ["body", "public"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "closed"}, "state"),
        ({"range": "1y"}, "range"),
        ({"monitor_id": "0"}, "monitor_id"),
        ({"monitor_id": "x"}, "monitor_id"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WyJ4Il0"}, "cursor"),
    ],
)
async def test_bad_filters_are_refused_naming_them(client, owner, params, field) -> None:
    response = await client.get(INCIDENTS, params=params, headers=owner.headers)
    assert_invalid(response, ["query", field])
