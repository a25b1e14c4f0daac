"""Custom domains of status pages: validation, uniqueness (across cells too), the public
look-up of proven domains, and release on rename and delete. (The proof itself:
test_domain_proof.py.)"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from shared.directory import Directory
from tests.api.cells import owner_in, two_cells
from tests.api.domain_cells import LOOKUP, Proving, domain, lookup, new_page, prove, proving
from tests.api.helpers import assert_invalid, send_json
from tests.api.test_status_pages import PAGES

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

# 155 characters, past 253 once each label is an A-label.
TOO_LONG_ENCODED = ".".join(["".join(chr(0x4E00 + i * 37) for i in range(18))] * 8) + ".com"


@pytest.fixture(scope="module")
async def proof(
    directory_url: str, database_url: str, other_cell_url: str
) -> AsyncIterator[Proving]:
    async with proving(directory_url, database_url, other_cell_url) as made:
        yield made


@pytest.mark.parametrize(
    "bad",
    [
        "https://status.example.com",
        "status.example.com:443",
        "status.example.com/path",
        "status.example.com?x=1",
        "user@status.example.com",
        "status example.com",
        " x.example",
        "status.example.com\n",
        "1.2.3.4",
        "10.1",
        "::1",
        "[2001:db8::1]",
        "a" * 300,
        ("a" * 62 + ".") * 4 + "com",
        "a" * 64 + ".com",
        TOO_LONG_ENCODED,
        "localhost",
        "-x.example.com",
        "x-.example.com",
        "x_y.example.com",
        "x..example.com",
        "",
        ".",
        "x.example.com\x00",
        "\u0301x.example.com",
        "\u0660\u06f1.example.com",
        "\ud800.example.com",
        12,
        True,
        ["x.example.com"],
        {"d": 1},
    ],
)
async def test_garbage_is_refused_naming_the_field(proof: Proving, bad: object) -> None:
    client, auth = proof.a.client, await proof.account()
    body = {"slug": f"page-{uuid.uuid4().hex[:12]}", "title": "T", "custom_domain": bad}
    assert_invalid(await send_json(client, "POST", PAGES, body, auth), ["body", "custom_domain"])
    page = await new_page(proof.a, auth)
    assert_invalid(
        await send_json(client, "PATCH", f"{PAGES}/{page['id']}", {"custom_domain": bad}, auth),
        ["body", "custom_domain"],
    )
    unchanged = await client.get(f"{PAGES}/{page['id']}", headers=auth)
    assert unchanged.json()["custom_domain"] is None


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Status.Example.COM", "status.example.com"),
        ("status.example.com.", "status.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("ＳＴＡＴＵＳ.example.org", "status.example.org"),  # full-width letters fold
        ("статус.пример.рф", "xn--80a7abcbg.xn--e1afmkfd.xn--p1ai"),  # stdlib punycode agrees
        ("\u200bstatus.example.net", "status.example.net"),  # UTS 46 drops it, as browsers do
    ],
)
async def test_a_domain_is_stored_lower_case_in_idna_form(
    proof: Proving, given: str, stored: str
) -> None:
    client, auth = proof.a.client, await proof.account()
    page = await new_page(proof.a, auth, custom_domain=given)
    try:
        assert page["custom_domain"] == stored
        assert page["domain_verification"]["record"] == f"_vigil-challenge.{stored}"
        await prove(proof, proof.a, auth, page)
        found = await lookup(client, stored)
        assert found.json() == {"slug": page["slug"]}
        assert (await lookup(client, given.rstrip("."))).json() == {"slug": page["slug"]}
    finally:  # these names are shared by every run: give them back
        await client.delete(f"{PAGES}/{page['id']}", headers=auth)


async def test_look_up_by_host_with_or_without_port(proof: Proving) -> None:
    client, auth = proof.a.client, await proof.account()
    name = domain()
    page = await prove(proof, proof.a, auth, await new_page(proof.a, auth, custom_domain=name))
    assert (await lookup(client, name)).json() == {"slug": page["slug"]}
    assert (await lookup(client, f"{name}:8080")).json() == {"slug": page["slug"]}
    assert (await lookup(client, name.upper())).json() == {"slug": page["slug"]}
    for nothing in (domain(), "1.2.3.4", "not a host", "x" * 260, "%00", "a.b:99999999"):
        missing = await lookup(client, nothing)
        assert missing.status_code in (404, 422), (nothing, missing.text)
        assert "slug" not in missing.text
    assert (await lookup(client, domain())).status_code == 404


async def test_unique_rename_remove_and_delete_release_it(proof: Proving) -> None:
    client = proof.a.client
    a, b = await proof.account(), await proof.account()
    name = domain()
    page = await new_page(proof.a, a, custom_domain=name)
    path = f"{PAGES}/{page['id']}"
    for variant in (name, name.upper(), f"{name}."):
        clash = await client.post(
            PAGES,
            headers=b,
            json={"slug": f"page-{uuid.uuid4().hex[:12]}", "title": "B", "custom_domain": variant},
        )
        assert clash.status_code == 409, clash.text
        assert "custom_domain" in clash.json()["detail"]
    mine = await new_page(proof.a, b)
    taken = await client.patch(f"{PAGES}/{mine['id']}", json={"custom_domain": name}, headers=b)
    assert (taken.status_code, "custom_domain" in taken.text) == (409, True)
    # Other fields change; the domain stays.
    kept = await client.patch(path, json={"title": "New"}, headers=a)
    assert kept.json()["custom_domain"] == name
    # Renamed: the old name is free, the new one found once proven.
    renamed = domain()
    changed = (await client.patch(path, json={"custom_domain": renamed}, headers=a)).json()
    assert changed["custom_domain"] == renamed
    await prove(proof, proof.a, a, changed)
    assert (await lookup(client, name)).status_code == 404
    assert (await lookup(client, renamed)).json() == {"slug": page["slug"]}
    moved = await client.patch(f"{PAGES}/{mine['id']}", json={"custom_domain": name}, headers=b)
    assert moved.json()["custom_domain"] == name
    # Removed with null: free again.
    assert (await client.patch(path, json={"custom_domain": None}, headers=a)).json()[
        "custom_domain"
    ] is None
    assert (await lookup(client, renamed)).status_code == 404
    await new_page(proof.a, b, custom_domain=renamed)
    # Deleted: free again.
    assert (await client.delete(f"{PAGES}/{mine['id']}", headers=b)).status_code == 204
    assert (await lookup(client, name)).status_code == 404
    again = await new_page(proof.a, a, custom_domain=name)
    assert again["custom_domain"] == name


async def test_another_account_sees_nothing_of_a_domain(proof: Proving) -> None:
    client = proof.a.client
    a, b = await proof.account(), await proof.account()
    name = domain()
    page = await new_page(proof.a, a, custom_domain=name)
    token = page["domain_verification"]["value"]
    path = f"{PAGES}/{page['id']}"
    listed = (await client.get(PAGES, params={"q": name}, headers=b)).json()
    assert listed["items"] == []
    assert name not in (await client.get(PAGES, headers=b)).text
    assert (await client.get(path, headers=b)).status_code == 404
    changed = await client.patch(path, json={"custom_domain": domain()}, headers=b)
    assert changed.status_code == 404
    assert name not in changed.text
    assert (await client.delete(path, headers=b)).status_code == 404
    refused = await client.post(f"{path}/domain/verify", headers=b)
    assert refused.status_code == 404
    assert name not in refused.text and token not in refused.text
    assert (await client.get(path, headers=a)).json()["custom_domain"] == name


async def _prove_in(directory: Directory, name: str) -> None:
    """The proof recorded straight in the directory (test_domain_proof.py proves by DNS)."""
    held = (await directory.domain_claims([name]))[name]
    assert await directory.mark_verified(held, datetime.now(UTC))


async def test_domains_are_unique_across_cells_and_found_from_any(
    directory_url: str, database_url: str, other_cell_url: str
) -> None:
    async with two_cells(directory_url, database_url, other_cell_url, capacity_a=1) as (
        directory,
        a,
        b,
    ):
        auth_a, auth_b = await owner_in(a), await owner_in(b)
        name = domain()
        made = await a.client.post(
            PAGES,
            headers=auth_a,
            json={"slug": f"page-{uuid.uuid4().hex[:12]}", "title": "A", "custom_domain": name},
        )
        assert made.status_code == 201, made.text
        assert (await directory.cell_for_domain(name)).name == a.name
        await _prove_in(directory, name)
        clash = await b.client.post(
            PAGES,
            headers=auth_b,
            json={"slug": f"page-{uuid.uuid4().hex[:12]}", "title": "B", "custom_domain": name},
        )
        assert clash.status_code == 409
        assert "custom_domain" in clash.json()["detail"]
        # Asked of the wrong cell: sent to the right one, which answers.
        sent = await lookup(b.client, f"{name.upper()}:443")
        assert sent.status_code == 307
        assert sent.headers["location"] == f"{a.url}{LOOKUP}{name}"
        assert (await a.client.get(sent.headers["location"])).json() == {
            "slug": made.json()["slug"]
        }
        # Renamed in A: the old name is free in B, and found there.
        renamed = domain()
        await a.client.patch(
            f"{PAGES}/{made.json()['id']}", json={"custom_domain": renamed}, headers=auth_a
        )
        assert await directory.cell_for_domain(name) is None
        in_b = await b.client.post(
            PAGES,
            headers=auth_b,
            json={"slug": f"page-{uuid.uuid4().hex[:12]}", "title": "B", "custom_domain": name},
        )
        assert in_b.status_code == 201, in_b.text
        await _prove_in(directory, name)
        assert (await lookup(a.client, name)).headers["location"] == f"{b.url}{LOOKUP}{name}"
        # Deleted in A: its new name is free everywhere.
        await a.client.delete(f"{PAGES}/{made.json()['id']}", headers=auth_a)
        assert await directory.cell_for_domain(renamed) is None
        assert (await lookup(a.client, renamed)).status_code == 404
        assert (await lookup(b.client, renamed)).status_code == 404


async def test_a_refused_page_leaves_no_name_claimed(
    directory_url: str, database_url: str, other_cell_url: str
) -> None:
    async with two_cells(directory_url, database_url, other_cell_url, capacity_a=1) as (
        directory,
        a,
        b,
    ):
        auth_a, auth_b = await owner_in(a), await owner_in(b)
        held, fresh = domain(), domain()
        first = await a.client.post(
            PAGES,
            headers=auth_a,
            json={"slug": f"page-{uuid.uuid4().hex[:12]}", "title": "A", "custom_domain": held},
        )
        assert first.status_code == 201, first.text
        # B's page: its slug is free, its domain is not. Refused, and the slug stays free.
        slug = f"page-{uuid.uuid4().hex[:12]}"
        refused = await b.client.post(
            PAGES, headers=auth_b, json={"slug": slug, "title": "B", "custom_domain": held}
        )
        assert refused.status_code == 409
        assert await directory.locate_slug(slug) is None
        # A reuses its own slug (the cell refuses it) with a new domain: the domain stays free.
        again = await a.client.post(
            PAGES,
            headers=auth_a,
            json={"slug": first.json()["slug"], "title": "A2", "custom_domain": fresh},
        )
        assert (again.status_code, "slug" in again.json()["detail"]) == (409, True)
        assert await directory.cell_for_domain(fresh) is None
        # So is a renaming that fails the same way.
        second = await a.client.post(
            PAGES, headers=auth_a, json={"slug": f"page-{uuid.uuid4().hex[:12]}", "title": "A3"}
        )
        clash = await a.client.patch(
            f"{PAGES}/{second.json()['id']}",
            headers=auth_a,
            json={"slug": first.json()["slug"], "custom_domain": fresh},
        )
        assert clash.status_code == 409
        assert await directory.cell_for_domain(fresh) is None
        assert (await a.client.get(f"{PAGES}/{second.json()['id']}", headers=auth_a)).json()[
            "custom_domain"
        ] is None
