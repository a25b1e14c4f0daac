"""Cells behind a directory: placement at sign-up, finding a log-in's cell, tokens refused
by other cells, slugs unique across cells."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.api.cells import CellApi, owner_in, two_cells
from tests.api.helpers import PASSWORD, unique_email

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

SIGNUP = "/api/v1/auth/signup"
MADE = (201, 202)  # 201: a cell's first account, made at once (the first run)


async def signup(cell: CellApi, email: str) -> httpx.Response:
    return await cell.client.post(SIGNUP, json={"email": email, "password": PASSWORD})


async def login(cell: CellApi, email: str) -> dict:
    response = await cell.client.post(
        "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_sign_up_fills_a_cell_then_the_next(
    directory_url: str, database_url: str, other_cell_url: str
) -> None:
    async with two_cells(directory_url, database_url, other_cell_url, capacity_a=2) as (
        directory,
        a,
        b,
    ):
        assert all([(await signup(a, unique_email())).status_code in MADE for _ in range(2)])
        email = unique_email()
        sent_on = await signup(a, email)
        assert sent_on.status_code == 307
        assert sent_on.headers["location"] == f"{b.url}/api/v1/auth/signup"
        assert (await signup(b, email)).status_code in MADE
        loads = {c.name: c.load for c in await directory.cells()}
        assert (loads[a.name], loads[b.name]) == (2, 1)
        # Signing up at a cell the policy did not choose is refused the same way.
        elsewhere = await signup(b, unique_email())
        assert elsewhere.status_code in MADE  # b is the one filling now
        await directory.set_open(b.name, False)
        over = await signup(a, unique_email())
        assert over.status_code in MADE  # every open cell full: the least full takes it
        await directory.set_open(a.name, False)
        none = await signup(a, unique_email())
        assert none.status_code == 503


async def test_an_email_is_taken_in_every_cell(
    directory_url: str, database_url: str, other_cell_url: str
) -> None:
    async with two_cells(directory_url, database_url, other_cell_url) as (directory, a, b):
        email = unique_email()
        assert (await signup(a, email)).status_code in MADE
        # Taken: sent to its cell, as a free address is sent to the cell that would take it
        # (a fills first); there, the answer a free address gets, and nothing is made.
        taken_at_b, free_at_b = await signup(b, email.upper()), await signup(b, unique_email())
        assert taken_at_b.status_code == free_at_b.status_code == 307
        assert (
            taken_at_b.headers["location"]
            == free_at_b.headers["location"]
            == f"{a.url}/api/v1/auth/signup"
        )
        loads = {c.name: c.load for c in await directory.cells()}
        again, fresh = await signup(a, email), await signup(a, unique_email())
        assert again.status_code == fresh.status_code == 202
        assert again.json() == fresh.json()
        assert {c.name: c.load for c in await directory.cells()}[a.name] == loads[a.name] + 1


async def test_locate_names_the_cell_of_a_login(
    directory_url: str, database_url: str, other_cell_url: str
) -> None:
    async with two_cells(directory_url, database_url, other_cell_url, capacity_a=0) as (
        directory,
        a,
        b,
    ):
        email = unique_email()
        assert (await signup(b, email)).status_code in MADE
        for cell in (a, b):
            found = await cell.client.post("/api/v1/auth/locate", json={"email": email})
            assert found.json() == {"cell": b.name, "api_url": b.url}
        # An unknown email is told where it would be placed, not that it is unknown.
        unknown = await a.client.post("/api/v1/auth/locate", json={"email": unique_email()})
        assert unknown.json() == {"cell": b.name, "api_url": b.url}
        bad = await a.client.post("/api/v1/auth/locate", json={"email": "nope"})
        assert bad.status_code == 422


async def test_credentials_of_one_cell_are_refused_by_another(
    directory_url: str, database_url: str, other_cell_url: str
) -> None:
    async with two_cells(directory_url, database_url, other_cell_url, capacity_a=0) as (
        directory,
        a,
        b,
    ):
        email = unique_email()
        await signup(b, email)
        tokens = await login(b, email)
        key = (
            await b.client.post(
                "/api/v1/api-keys",
                json={"name": "k"},
                headers={"Authorization": f"Bearer {tokens['access_token']}"},
            )
        ).json()["key"]
        wrong_cell = await a.client.post(
            "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert wrong_cell.status_code == 401
        for credential, detail in [
            (tokens["access_token"], "token of another cell"),
            (key, "invalid API key"),
        ]:
            refused = await a.client.get(
                "/api/v1/monitors", headers={"Authorization": f"Bearer {credential}"}
            )
            assert (refused.status_code, refused.json()) == (401, {"detail": detail})
        refresh = await a.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert refresh.status_code == 401


async def test_slugs_are_unique_across_cells_and_pages_found_anywhere(
    directory_url: str, database_url: str, other_cell_url: str
) -> None:
    async with two_cells(directory_url, database_url, other_cell_url, capacity_a=1) as (
        directory,
        a,
        b,
    ):
        auth_a, auth_b = await owner_in(a), await owner_in(b)
        slug = f"shared-{uuid.uuid4().hex[:8]}"
        made = await a.client.post(
            "/api/v1/status-pages", json={"slug": slug, "title": "A"}, headers=auth_a
        )
        assert made.status_code == 201
        clash = await b.client.post(
            "/api/v1/status-pages", json={"slug": slug, "title": "B"}, headers=auth_b
        )
        assert clash.status_code == 409
        found = await b.client.get(f"/api/v1/public/status-pages/{slug}")
        assert found.status_code == 307
        assert found.headers["location"] == f"{a.url}/api/v1/public/status-pages/{slug}"
        # Renamed, the old slug is free for anyone again.
        await a.client.patch(
            f"/api/v1/status-pages/{made.json()['id']}",
            json={"slug": f"{slug}-new"},
            headers=auth_a,
        )
        again = await b.client.post(
            "/api/v1/status-pages", json={"slug": slug, "title": "B"}, headers=auth_b
        )
        assert again.status_code == 201


async def test_an_invited_member_is_found_in_the_accounts_cell(
    directory_url: str, database_url: str, other_cell_url: str
) -> None:
    async with two_cells(directory_url, database_url, other_cell_url, capacity_a=0) as (
        directory,
        a,
        b,
    ):
        owner, member = unique_email(), unique_email()
        await signup(b, owner)
        auth = {"Authorization": f"Bearer {(await login(b, owner))['access_token']}"}
        token = (
            await b.client.post("/api/v1/invitations", json={"email": member}, headers=auth)
        ).json()["token"]
        accepted = await b.client.post(
            "/api/v1/auth/accept-invite", json={"token": token, "password": PASSWORD}
        )
        assert accepted.status_code == 201
        found = await a.client.post("/api/v1/auth/locate", json={"email": member})
        assert found.json()["cell"] == b.name
        at_a = await signup(a, member)  # sent to the member's cell, and told nothing there
        assert at_a.status_code == 307 and at_a.headers["location"].startswith(b.url)
        assert (await signup(b, member)).status_code == 202
