"""Invitations, members and roles: viewers read, editors write, owners manage the team."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.api.helpers import PASSWORD, User, create_monitor, new_user, unique_email

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

INVITES = "/api/v1/invitations"


async def invite_member(client: httpx.AsyncClient, owner: User, role: str) -> User:
    email = unique_email()
    invited = await client.post(INVITES, json={"email": email, "role": role}, headers=owner.headers)
    assert invited.status_code == 201, invited.text
    token = invited.json()["token"]
    accepted = await client.post(
        "/api/v1/auth/accept-invite", json={"token": token, "password": PASSWORD}
    )
    assert accepted.status_code == 201, accepted.text
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return User(accepted.json()["id"], email, login.json()["access_token"])


async def test_a_member_works_in_the_owners_account(client: httpx.AsyncClient, user: User) -> None:
    editor = await invite_member(client, user, "editor")
    me = (await client.get("/api/v1/auth/me", headers=editor.headers)).json()
    assert (me["role"], me["account_id"]) == ("editor", user.id)
    made = await create_monitor(client, editor)
    listed = (await client.get("/api/v1/monitors", headers=user.headers)).json()
    assert [m["id"] for m in listed["items"]] == [made["id"]]
    members = (await client.get("/api/v1/members", headers=editor.headers)).json()["items"]
    assert [(m["email"], m["role"]) for m in members] == [
        (user.email, "owner"),
        (editor.email, "editor"),
    ]


async def test_an_invitation_works_once(client: httpx.AsyncClient, user: User) -> None:
    invited = await client.post(INVITES, json={"email": unique_email()}, headers=user.headers)
    body = {"token": invited.json()["token"], "password": PASSWORD}
    assert (await client.post("/api/v1/auth/accept-invite", json=body)).status_code == 201
    assert (await client.post("/api/v1/auth/accept-invite", json=body)).status_code == 401


async def test_inviting_an_existing_login_is_409(client: httpx.AsyncClient, user: User) -> None:
    other = await new_user(client)
    response = await client.post(INVITES, json={"email": other.email}, headers=user.headers)
    assert response.status_code == 409


async def test_only_owners_manage_the_team(client: httpx.AsyncClient, user: User) -> None:
    editor = await invite_member(client, user, "editor")
    response = await client.post(INVITES, json={"email": unique_email()}, headers=editor.headers)
    assert (response.status_code, response.json()) == (403, {"detail": "this needs the owner role"})
    path = f"/api/v1/members/{editor.id}"
    assert (
        await client.patch(path, json={"role": "owner"}, headers=editor.headers)
    ).status_code == 403
    changed = await client.patch(path, json={"role": "viewer"}, headers=user.headers)
    assert changed.json()["role"] == "viewer"
    # The change holds at once, for the token already issued.
    assert (
        await client.post("/api/v1/monitors", json={}, headers=editor.headers)
    ).status_code == 403
    owner_row = await client.delete(f"/api/v1/members/{user.id}", headers=user.headers)
    assert owner_row.status_code == 409
    assert (await client.delete(path, headers=user.headers)).status_code == 204
    assert (await client.get("/api/v1/monitors", headers=editor.headers)).status_code == 401


async def test_a_viewer_is_refused_every_write(client: httpx.AsyncClient, user: User) -> None:
    """Every operation that is not a read, as listed by the OpenAPI document itself."""
    viewer = await invite_member(client, user, "viewer")
    paths = (await client.get("/api/v1/openapi.json")).json()["paths"]
    writes = [
        (method, path)
        for path, ops in paths.items()
        for method in ops
        if method != "get" and not path.startswith(("/api/v1/auth/", "/api/v1/public/"))
    ]
    assert len(writes) >= 20
    for method, path in writes:
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        response = await client.request(method.upper(), concrete, json={}, headers=viewer.headers)
        assert response.status_code == 403, (method, path, response.text)


@pytest.mark.parametrize("role", ["viewer", "editor", "owner"])
async def test_roles_read_alike(client: httpx.AsyncClient, user: User, role: str) -> None:
    member = await invite_member(client, user, role)
    monitor = await create_monitor(client, user)
    got = await client.get(f"/api/v1/monitors/{monitor['id']}", headers=member.headers)
    assert got.json() == monitor
