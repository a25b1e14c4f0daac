"""User A can neither read, nor change, nor learn the existence of anything of user B's,
through every endpoint the OpenAPI document lists.

The routes come from the OpenAPI document, not from a list kept here: a new endpoint is
walked automatically. If it has a path parameter or a body this test does not know, the
test fails and asks for one line in PATH_IDS or BODIES, so it cannot be forgotten.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.helpers import User, create_monitor, http_test, new_user
from tests.api.history import seed
from tests.api.test_team import invite_member

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

# Endpoints that are not about an account's resources at all.
UNSCOPED = ("/api/v1/auth/", "/api/v1/public/", "/api/v1/health")
OPERATOR_ONLY = ("/api/v1/nodes", "/api/v1/system")  # refused to ordinary accounts
NOWHERE = 2**62  # an id nobody has: B's ids must be answered exactly like this one
NOW = datetime.now(UTC)
SPAN = {"starts_at": NOW.isoformat(), "ends_at": (NOW + timedelta(hours=1)).isoformat()}


def _slug() -> str:
    return f"iso-{uuid.uuid4().hex[:12]}"


async def _estate(
    client: httpx.AsyncClient, engine: AsyncEngine, user: User, marker: str
) -> dict[str, Any]:
    """One of everything, each named with the marker, and the ids of each."""
    h = user.headers
    monitor = await create_monitor(
        client, user, name=f"{marker} monitor", tests=[http_test(url=f"https://{marker}.example/")]
    )
    # Incidents are the processor's: seeded with history (rollups, results) in the tables.
    history = await seed(engine, monitor["tests"][0]["id"], monitor["id"], marker)
    await client.post(
        f"/api/v1/incidents/{history.open_id}/updates",
        headers=h,
        json={"message": f"{marker} update"},
    )
    page = (
        await client.post(
            "/api/v1/status-pages",
            headers=h,
            json={"slug": _slug(), "title": f"{marker} page", "groups": [f"{marker} group"]},
        )
    ).json()
    await client.post(
        f"/api/v1/status-pages/{page['id']}/monitors", headers=h, json={"monitor_id": monitor["id"]}
    )
    channel = (
        await client.post(
            "/api/v1/notification-channels",
            headers=h,
            json={
                "name": f"{marker} channel",
                "kind": "email",
                "config": {"to": [f"{marker}@example.com"]},
            },
        )
    ).json()
    await client.post(
        f"/api/v1/notification-channels/{channel['id']}/monitors",
        headers=h,
        json={"monitor_id": monitor["id"]},
    )
    window = (
        await client.post(
            "/api/v1/maintenance-windows",
            headers=h,
            json={"title": f"{marker} window", "monitor_id": monitor["id"], **SPAN},
        )
    ).json()
    key = (await client.post("/api/v1/api-keys", headers=h, json={"name": f"{marker} key"})).json()
    invitation = (
        await client.post(
            "/api/v1/invitations", headers=h, json={"email": f"{marker}-invitee@example.com"}
        )
    ).json()
    member = await invite_member(client, user, "editor")
    subscriber = (
        await client.post(
            f"/api/v1/status-pages/{page['id']}/subscribers",
            headers=h,
            json={"url": f"https://{marker}.example/sub", "secret": "0123456789abcdef"},
        )
    ).json()
    announcement = (
        await client.post(
            f"/api/v1/status-pages/{page['id']}/announcements",
            headers=h,
            json={"message": f"{marker} news", **SPAN},
        )
    ).json()
    manual = (
        await client.post(
            f"/api/v1/status-pages/{page['id']}/manual-incidents",
            headers=h,
            json={
                "title": f"{marker} outage",
                "message": f"{marker} words",
                "affected": [{"monitor_id": monitor["id"], "impact": "degraded"}],
            },
        )
    ).json()
    managed_key = f"k{marker}"  # what `vigil apply` labels its objects with
    await client.put(
        f"/api/v1/managed/monitor/{managed_key}", headers=h, json={"object_id": monitor["id"]}
    )
    return {
        "subscriber_id": subscriber["id"],
        "announcement_id": announcement["id"],
        "manual_id": manual["id"],
        "kind": "monitor",
        "key": managed_key,
        "monitor_id": monitor["id"],
        "test_id": monitor["tests"][0]["id"],
        "page_id": page["id"],
        "channel_id": channel["id"],
        "window_id": window["id"],
        "key_id": key["id"],
        "invitation_id": invitation["id"],
        "member_id": member.id,
        "status_page_id": page["id"],
        "incident_id": history.open_id,
    }


# What each path parameter names. A new one must be added here.
PATH_IDS = (
    "kind",
    "key",
    "monitor_id",
    "test_id",
    "page_id",
    "channel_id",
    "window_id",
    "key_id",
    "invitation_id",
    "member_id",
    "incident_id",
    "subscriber_id",
    "announcement_id",
    "manual_id",
)


def BODIES(ids: dict[str, int]) -> dict[tuple[str, str], dict[str, Any]]:  # noqa: N802
    """A valid body for each operation that takes one; references use `ids`."""
    p = "/api/v1"
    return {
        ("post", f"{p}/monitors"): {"name": "x", "tests": [http_test()]},
        ("post", f"{p}/monitors/validate"): {"name": "x", "tests": [http_test()]},
        ("patch", f"{p}/monitors/{{monitor_id}}"): {"name": "hijacked"},
        ("post", f"{p}/monitors/{{monitor_id}}/tests"): http_test(),
        # B's monitor in A's selection: refused whole, B's monitor untouched (the snapshot).
        ("post", f"{p}/monitors/bulk"): {"action": "delete", "ids": [ids["monitor_id"]]},
        ("patch", f"{p}/monitors/{{monitor_id}}/tests/{{test_id}}"): {"interval_s": 300},
        ("post", f"{p}/status-pages"): {"slug": _slug(), "title": "x"},
        ("patch", f"{p}/status-pages/{{page_id}}"): {"title": "hijacked"},
        ("post", f"{p}/status-pages/{{page_id}}/monitors"): {"monitor_id": ids["monitor_id"]},
        ("patch", f"{p}/status-pages/{{page_id}}/monitors/{{monitor_id}}"): {"position": 9},
        ("post", f"{p}/notification-channels"): {
            "name": "x",
            "kind": "webhook",
            "config": {"url": "https://h.example/", "secret": "0123456789abcdef"},
        },
        ("post", f"{p}/notification-channels/validate"): {
            "name": "x",
            "kind": "webhook",
            "config": {"url": "https://h.example/", "secret": "0123456789abcdef"},
        },
        ("patch", f"{p}/notification-channels/{{channel_id}}"): {"name": "hijacked"},
        ("post", f"{p}/notification-channels/{{channel_id}}/monitors"): {
            "monitor_id": ids["monitor_id"]
        },
        ("post", f"{p}/maintenance-windows"): {
            "title": "x",
            "monitor_id": ids["monitor_id"],
            **SPAN,
        },
        ("patch", f"{p}/maintenance-windows/{{window_id}}"): {"title": "hijacked"},
        ("post", f"{p}/api-keys"): {"name": "x"},
        ("post", f"{p}/invitations"): {"email": f"{uuid.uuid4().hex}@example.com"},
        ("patch", f"{p}/members/{{member_id}}"): {"role": "viewer"},
        ("post", f"{p}/incidents/{{incident_id}}/updates"): {"message": "hijacked"},
        ("patch", f"{p}/incidents/{{incident_id}}"): {"public_title": "hijacked"},
        ("post", f"{p}/status-pages/{{page_id}}/subscribers"): {
            "url": "https://h.example/sub",
            "secret": "0123456789abcdef",
        },
        ("post", f"{p}/status-pages/{{page_id}}/announcements"): {"message": "hijacked", **SPAN},
        ("put", f"{p}/managed/{{kind}}/{{key}}"): {"object_id": ids["monitor_id"]},
        ("post", f"{p}/status-pages/{{page_id}}/manual-incidents"): {
            "title": "hijacked",
            "message": "x",
            "affected": [{"monitor_id": ids["monitor_id"], "impact": "major_outage"}],
        },
        ("post", f"{p}/status-pages/{{page_id}}/manual-incidents/{{manual_id}}/updates"): {
            "status": "resolved",
            "message": "hijacked",
        },
    }


def _operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, ops in openapi["paths"].items()
        for method, op in ops.items()
        if not path.startswith(UNSCOPED)
    ]


def _fill(path: str, ids: dict[str, int]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in PATH_IDS, f"unknown path parameter {name!r}: add it to PATH_IDS"
        return str(ids[name])

    return re.sub(r"\{([^}]+)\}", one, path)


async def _snapshot(
    client: httpx.AsyncClient, owner: User, openapi: dict[str, Any], ids: dict[str, int]
) -> dict[str, str]:
    """Every read B can make of their own things, to prove nothing changed."""
    seen = {}
    for method, path, _ in _operations(openapi):
        if method == "get":
            response = await client.get(_fill(path, ids), headers=owner.headers)
            seen[path] = response.text
    return seen


async def test_a_cannot_read_change_or_detect_anything_of_b(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    a, b = await new_user(client), await new_user(client)
    marker = f"bsecret{uuid.uuid4().hex[:8]}"
    b_ids = await _estate(client, engine, b, marker)
    a_ids = await _estate(client, engine, a, f"amine{uuid.uuid4().hex[:8]}")
    # A managed object's path names its kind and key, not ids: a valid kind, an unused key.
    nowhere = {**dict.fromkeys(b_ids, NOWHERE), "kind": "monitor", "key": "nowhere"}
    openapi = (await client.get("/api/v1/openapi.json")).json()
    before = await _snapshot(client, b, openapi, b_ids)
    b_bodies, a_bodies = BODIES(b_ids), BODIES(nowhere)
    walked = 0
    for method, path, op in _operations(openapi):
        has_body = "requestBody" in op
        assert not has_body or (method, path) in b_bodies, f"add a body for {method} {path}"
        kwargs = {"json": b_bodies[(method, path)]} if has_body else {}
        if "{" in path:
            response = await client.request(method, _fill(path, b_ids), headers=a.headers, **kwargs)
            kwargs_nowhere = {"json": a_bodies[(method, path)]} if has_body else {}
            control = await client.request(
                method, _fill(path, nowhere), headers=a.headers, **kwargs_nowhere
            )
            # B's thing is answered exactly like a thing that does not exist.
            assert response.status_code == 404, (method, path, response.text)
            assert response.json() == control.json(), (method, path)
        elif method == "get":
            params = {
                k: b_ids[k]
                for k in ("monitor_id", "status_page_id")
                if any(p["name"] == k for p in op.get("parameters", []))
            }
            response = await client.get(path, headers=a.headers, params=params)
            expected = 403 if path in OPERATOR_ONLY else 200
            assert response.status_code == expected, (path, response.text)
        else:
            response = await client.request(method, path, headers=a.headers, **kwargs)
        assert marker not in response.text, (method, path, response.text)
        walked += 1
    assert walked >= 30
    # Bodies that point at B's things, sent to A's own resources: still not found.
    for (method, path), body in b_bodies.items():
        if body.get("monitor_id") == b_ids["monitor_id"]:
            response = await client.request(
                method, _fill(path, a_ids), json=body, headers=a.headers
            )
            assert response.status_code == 404, (method, path, response.text)
            assert marker not in response.text
    assert await _snapshot(client, b, openapi, b_ids) == before
