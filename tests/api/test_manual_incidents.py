"""Manual incidents: the owner posts what Vigil did not detect and moves it to resolved."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.tables import manual_incidents
from tests.api.helpers import User, client_for, create_monitor, new_user

pytestmark = pytest.mark.integration
PAGES = "/api/v1/status-pages"


@pytest.fixture
async def api(database_url: str):
    async with client_for(database_url, VIGIL_PUBLIC_CACHE_TTL="0") as client:
        yield client


async def _page_with_monitor(client: httpx.AsyncClient, user: User) -> tuple[int, int]:
    made = await client.post(
        PAGES, headers=user.headers, json={"slug": f"m-{uuid.uuid4().hex[:10]}", "title": "Shop"}
    )
    assert made.status_code == 201, made.text
    page_id, monitor_id = made.json()["id"], (await create_monitor(client, user))["id"]
    shown = await client.post(
        f"{PAGES}/{page_id}/monitors", headers=user.headers, json={"monitor_id": monitor_id}
    )
    assert shown.status_code == 201, shown.text
    return page_id, monitor_id


def _body(monitor_id: int, **extra: object) -> dict[str, object]:
    return {
        "title": "Payments fail",
        "message": "Our bank is down",
        "affected": [{"monitor_id": monitor_id, "impact": "partial_outage"}],
        **extra,
    }


async def test_the_lifecycle_ends_at_resolved(api: httpx.AsyncClient) -> None:
    user = await new_user(api)
    page_id, monitor_id = await _page_with_monitor(api, user)
    url = f"{PAGES}/{page_id}/manual-incidents"
    made = await api.post(url, headers=user.headers, json=_body(monitor_id))
    assert made.status_code == 201, made.text
    incident = made.json()
    assert incident["status"] == "investigating" and incident["resolved_at"] is None
    assert incident["affected"] == [{"monitor_id": monitor_id, "impact": "partial_outage"}]
    for step in ("identified", "monitoring", "resolved"):
        moved = await api.post(
            f"{url}/{incident['id']}/updates",
            headers=user.headers,
            json={"status": step, "message": f"now {step}"},
        )
        assert moved.status_code == 201, moved.text
    done = (await api.get(f"{url}/{incident['id']}", headers=user.headers)).json()
    assert done["status"] == "resolved" and done["resolved_at"] is not None
    assert [u["status"] for u in done["updates"]] == [
        "investigating",
        "identified",
        "monitoring",
        "resolved",
    ]
    again = await api.post(
        f"{url}/{incident['id']}/updates",
        headers=user.headers,
        json={"status": "monitoring", "message": "oops"},
    )
    assert again.status_code == 409, again.text
    assert len((await api.get(url, headers=user.headers)).json()["items"]) == 1


async def test_another_account_cannot_touch_them(api: httpx.AsyncClient) -> None:
    owner, stranger = await new_user(api), await new_user(api)
    page_id, monitor_id = await _page_with_monitor(api, owner)
    url = f"{PAGES}/{page_id}/manual-incidents"
    made = (await api.post(url, headers=owner.headers, json=_body(monitor_id))).json()
    assert (await api.get(url, headers=stranger.headers)).status_code == 404
    assert (
        await api.post(url, headers=stranger.headers, json=_body(monitor_id))
    ).status_code == 404
    assert (
        await api.post(
            f"{url}/{made['id']}/updates",
            headers=stranger.headers,
            json={"status": "resolved", "message": "x"},
        )
    ).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "a\x07"}, "title"),
        ({"message": ""}, "message"),
        ({"message": "bell\x07"}, "message"),
        ({"status": "resolved"}, "status"),
        ({"status": "lost"}, "status"),
        ({"affected": []}, "affected"),
        ({"affected": "all"}, "affected"),
        ({"affected": [{"monitor_id": 1, "impact": "meh"}]}, "impact"),
        ({"affected": [{"monitor_id": 0, "impact": "degraded"}]}, "monitor_id"),
        ({"affected": [{"monitor_id": 2**62, "impact": "degraded"}]}, "monitor_id"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_garbage_is_refused_naming_the_field_and_stores_nothing(
    api: httpx.AsyncClient, engine: AsyncEngine, change: dict, field: str
) -> None:
    user = await new_user(api)
    page_id, monitor_id = await _page_with_monitor(api, user)
    answer = await api.post(
        f"{PAGES}/{page_id}/manual-incidents",
        headers=user.headers,
        json={**_body(monitor_id), **change},
    )
    assert answer.status_code == 422, answer.text
    assert any(field in map(str, e["loc"]) for e in answer.json()["detail"]), answer.text
    async with engine.connect() as conn:
        assert (
            await conn.execute(
                select(func.count())
                .select_from(manual_incidents)
                .where(manual_incidents.c.page_id == page_id)
            )
        ).scalar_one() == 0


async def test_a_monitor_the_page_does_not_show_is_refused(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    user = await new_user(api)
    page_id, monitor_id = await _page_with_monitor(api, user)
    other = (await create_monitor(api, user))["id"]
    for affected in (
        [{"monitor_id": other, "impact": "degraded"}],
        [{"monitor_id": monitor_id, "impact": "degraded"}] * 2,
    ):
        answer = await api.post(
            f"{PAGES}/{page_id}/manual-incidents",
            headers=user.headers,
            json=_body(monitor_id, affected=affected),
        )
        assert answer.status_code == 422, answer.text
        assert "monitor_id" in map(str, answer.json()["detail"][0]["loc"])
    async with engine.connect() as conn:
        assert (
            await conn.execute(
                select(func.count())
                .select_from(manual_incidents)
                .where(manual_incidents.c.page_id == page_id)
            )
        ).scalar_one() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "done", "message": "x"}, "status"),
        ({"status": "resolved"}, "message"),
        ({"status": "resolved", "message": ""}, "message"),
        ({"status": "resolved", "message": "x", "extra": 1}, "extra"),
    ],
)
async def test_garbage_updates_change_nothing(
    api: httpx.AsyncClient, body: dict, field: str
) -> None:
    user = await new_user(api)
    page_id, monitor_id = await _page_with_monitor(api, user)
    url = f"{PAGES}/{page_id}/manual-incidents"
    made = (await api.post(url, headers=user.headers, json=_body(monitor_id))).json()
    answer = await api.post(f"{url}/{made['id']}/updates", headers=user.headers, json=body)
    assert answer.status_code == 422, answer.text
    assert any(field in map(str, e["loc"]) for e in answer.json()["detail"]), answer.text
    after = (await api.get(f"{url}/{made['id']}", headers=user.headers)).json()
    assert after["status"] == "investigating" and len(after["updates"]) == 1


async def test_the_public_page_shows_them_and_a_recurring_window(api: httpx.AsyncClient) -> None:
    user = await new_user(api)
    page_id, monitor_id = await _page_with_monitor(api, user)
    slug = (await api.get(f"{PAGES}/{page_id}", headers=user.headers)).json()["slug"]
    made = (
        await api.post(
            f"{PAGES}/{page_id}/manual-incidents", headers=user.headers, json=_body(monitor_id)
        )
    ).json()
    # Every day of the week since January, for a day and an hour: on now, whatever the hour
    # (occurrences overlap, so neither the instant one ends and the next begins nor the
    # 25-hour day at the end of summer time leaves a moment without one).
    window = await api.post(
        "/api/v1/maintenance-windows",
        headers=user.headers,
        json={
            "title": "daily",
            "status_page_id": page_id,
            "timezone": "Europe/Amsterdam",
            "recurrence": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU",
            "starts_at": "2026-01-05T00:00:00+01:00",
            "ends_at": "2026-01-06T01:00:00+01:00",
        },
    )
    assert window.status_code == 201, window.text
    public = (await api.get(f"/api/v1/public/status-pages/{slug}")).json()
    [shown] = public["manual_incidents"]
    assert shown["id"] == made["id"] and shown["title"] == "Payments fail"
    assert shown["affected"] == [{"monitor_id": monitor_id, "impact": "partial_outage"}]
    assert [u["message"] for u in shown["updates"]] == ["Our bank is down"]
    [maintenance] = public["maintenance"]
    assert maintenance["phase"] == "in_progress" and public["status"] == "maintenance"
    await api.post(
        f"{PAGES}/{page_id}/manual-incidents/{made['id']}/updates",
        headers=user.headers,
        json={"status": "resolved", "message": "Fixed"},
    )
    public = (await api.get(f"/api/v1/public/status-pages/{slug}")).json()
    assert public["manual_incidents"][0]["status"] == "resolved"  # kept for a week


async def _page_events(engine: AsyncEngine, incident_id: int) -> list:
    from shared.codec import decode_event
    from shared.messages import PageEvent
    from shared.tables import event_outbox

    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(event_outbox.c.routing_key, event_outbox.c.body).order_by(event_outbox.c.id)
            )
        ).all()
    return [
        (r.routing_key, e)
        for r in rows
        if isinstance(e := decode_event(r.body), PageEvent)
        and e.ref_id == incident_id
        and e.kind.startswith("manual_")
    ]


async def test_each_step_is_news_for_subscribers_on_the_outbox_and_garbage_is_not(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    user = await new_user(api)
    page_id, monitor_id = await _page_with_monitor(api, user)
    url = f"{PAGES}/{page_id}/manual-incidents"
    made = (await api.post(url, headers=user.headers, json=_body(monitor_id))).json()
    for step in ("monitoring", "resolved"):
        assert (
            await api.post(
                f"{url}/{made['id']}/updates",
                headers=user.headers,
                json={"status": step, "message": step},
            )
        ).status_code == 201
    refused = [
        await api.post(
            f"{url}/{made['id']}/updates",
            headers=user.headers,
            json={"status": "monitoring", "message": "after the end"},
        ),
        await api.post(
            f"{url}/{made['id']}/updates",
            headers=user.headers,
            json={"status": "nope", "message": "x"},
        ),
    ]
    assert [r.status_code for r in refused] == [409, 422]
    events = await _page_events(engine, made["id"])
    updates = (await api.get(f"{url}/{made['id']}", headers=user.headers)).json()["updates"]
    assert [(key, e.kind, e.update_id) for key, e in events] == [
        ("page.manual_opened.a", "manual_opened", updates[0]["id"]),
        ("page.manual_updated.a", "manual_updated", updates[1]["id"]),
        ("page.manual_resolved.a", "manual_resolved", updates[2]["id"]),
    ]
