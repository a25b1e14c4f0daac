"""Proof of owning a custom domain: the TXT record a page shows, POST .../domain/verify
against a real DNS server on loopback, only proven domains served, unproven claims lapsing
(the clock moved, not waited), and every failure a clear answer that writes nothing."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest

from tests.api.domain_cells import (
    DNS_TIMEOUT_S,
    PAGES,
    Proving,
    domain,
    lookup,
    new_page,
    prove,
    proving,
    verify,
)
from tests.api.helpers import new_user

pytestmark = pytest.mark.integration
TOKEN_VALUE = re.compile(r"^vigil-verify=[0-9a-f]{32}$")
GRACE = timedelta(days=7)  # VIGIL_DOMAIN_CLAIM_DAYS' default


@pytest.fixture(scope="module")
async def proof(
    directory_url: str, database_url: str, other_cell_url: str
) -> AsyncIterator[Proving]:
    async with proving(directory_url, database_url, other_cell_url) as made:
        yield made


async def _claim(proof: Proving, name: str):  # noqa: ANN202 - the directory's claim
    return (await proof.directory.domain_claims([name])).get(name)


async def test_a_new_domain_is_pending_with_the_record_to_create(proof: Proving) -> None:
    auth = await proof.account()
    name = domain()
    page = await new_page(proof.a, auth, custom_domain=name)
    check = page["domain_verification"]
    assert check["record"] == f"_vigil-challenge.{name}"
    assert (check["type"], check["status"], check["verified_at"]) == ("TXT", "pending", None)
    assert TOKEN_VALUE.match(check["value"]), check
    expires = datetime.fromisoformat(check["claim_expires_at"])
    assert abs(expires - datetime.fromisoformat(page["created_at"]) - GRACE) < timedelta(minutes=1)
    # The same through GET and the list; another page's token differs.
    got = (await proof.a.client.get(f"{PAGES}/{page['id']}", headers=auth)).json()
    assert got["domain_verification"] == check
    listed = (await proof.a.client.get(PAGES, headers=auth)).json()["items"]
    assert [p["domain_verification"] for p in listed] == [check]
    other = await new_page(proof.a, auth, custom_domain=domain())
    assert other["domain_verification"]["value"] != check["value"]
    assert (await new_page(proof.a, auth))["domain_verification"] is None
    # Not proven: not served, from either cell.
    assert (await lookup(proof.a.client, name)).status_code == 404
    assert (await lookup(proof.b.client, name)).status_code == 404


async def test_the_record_proves_the_domain_and_it_is_served(proof: Proving) -> None:
    auth = await proof.account()
    name = domain()
    page = await new_page(proof.a, auth, custom_domain=name)
    # Among other TXT records, split in two strings (as long values are), spaces around.
    value = page["domain_verification"]["value"]
    proof.publish(name, '"v=spf1 -all"', f'" {value[:10]}" "{value[10:]} "')
    done = await verify(proof.a, auth, page["id"])
    assert done.status_code == 200, done.text
    check = done.json()["domain_verification"]
    assert (check["status"], check["value"], check["claim_expires_at"]) == ("verified", value, None)
    assert (await _claim(proof, name)).verified_at is not None
    assert (await lookup(proof.a.client, name)).json() == {"slug": page["slug"]}
    sent = await lookup(proof.b.client, name)  # the other cell sends the asker here
    assert (sent.status_code, sent.headers["location"]) == (
        307,
        f"{proof.a.url}/api/v1/public/domains/{name}",
    )
    # Verifying again changes nothing, even with the record gone.
    proof.zone.clear()
    again = await verify(proof.a, auth, page["id"])
    assert again.json()["domain_verification"] == check


@pytest.mark.parametrize(
    ("records", "status", "words"),
    [
        (None, 422, ["NXDOMAIN", "_vigil-challenge."]),
        ("no-txt", 422, ["has no TXT record"]),
        (
            ['"vigil-verify=00000000000000000000000000000000"'],
            422,
            ["vigil-verify=00000000000000000000000000000000", "not 'vigil-verify="],
        ),
        (['"vigil-verify="'], 422, ["'vigil-verify='"]),
        # Bytes that are not text (DNS escapes are decimal: \\010 is a line feed), shown escaped.
        (['"\\255\\000\\010vigil-verify"'], 422, ["\\\\xff\\\\x00\\\\x0avigil-verify"]),
        ([f'"{i:03d}{"x" * 247}"' for i in range(200)], 422, ["and 197 more", "…"]),
        ("broken", 503, ["failed", "try again"]),
        ("silent", 503, ["timed out", "try again"]),
    ],
)
async def test_what_dns_holds_instead_is_said_and_nothing_written(
    proof: Proving, records: object, status: int, words: list[str]
) -> None:
    auth = await proof.account()
    name = domain()
    page = await new_page(proof.a, auth, custom_domain=name)
    record = f"_vigil-challenge.{name}."
    if records == "no-txt":
        proof.zone[(record, "A")] = ["192.0.2.1"]
    elif records in ("broken", "silent"):
        getattr(proof, records).add(record)
    elif records is not None:
        proof.publish(name, *records)  # type: ignore[misc]
    started = time.monotonic()
    refused = await verify(proof.a, auth, page["id"])
    assert time.monotonic() - started < DNS_TIMEOUT_S + 5, "a hanging resolver held it"
    assert refused.status_code == status, refused.text
    for word in words:
        assert word in refused.text, (word, refused.text)
    assert len(refused.text) < 1000, "a huge answer is summed up, not echoed"
    if status == 503:
        assert refused.headers["retry-after"] == "60"
    assert (await _claim(proof, name)).verified_at is None
    after = (await proof.a.client.get(f"{PAGES}/{page['id']}", headers=auth)).json()
    assert after["domain_verification"] == page["domain_verification"]
    assert (await lookup(proof.a.client, name)).status_code == 404


async def test_another_pages_token_does_not_prove_this_one(proof: Proving) -> None:
    auth, other = await proof.account(), await proof.account()
    mine, theirs = domain(), domain()
    page = await new_page(proof.a, auth, custom_domain=mine)
    their_page = await new_page(proof.a, other, custom_domain=theirs)
    proof.publish(mine, f'"{their_page["domain_verification"]["value"]}"')
    refused = await verify(proof.a, auth, page["id"])
    assert refused.status_code == 422
    assert page["domain_verification"]["value"] in refused.text
    assert (await _claim(proof, mine)).verified_at is None


async def test_verify_without_a_domain_or_of_another_account_is_refused(proof: Proving) -> None:
    auth, other = await proof.account(), await proof.account()
    bare = await new_page(proof.a, auth)
    none = await verify(proof.a, auth, bare["id"])
    assert (none.status_code, "no custom_domain" in none.text) == (409, True)
    theirs = await new_page(proof.a, other, custom_domain=domain())
    proof.publish(theirs["custom_domain"], f'"{theirs["domain_verification"]["value"]}"')
    assert (await verify(proof.a, auth, theirs["id"])).status_code == 404
    assert (await _claim(proof, theirs["custom_domain"])).verified_at is None
    for bad in ("0", "-1", "abc", "99999999999999999999", "1.5"):
        answer = await proof.a.client.post(f"{PAGES}/{bad}/domain/verify", headers=auth)
        assert answer.status_code in (404, 422), (bad, answer.text)
    assert (await proof.a.client.post(f"{PAGES}/{bare['id']}/domain/verify")).status_code == 401


async def test_changing_the_domain_resets_its_proof(proof: Proving) -> None:
    auth = await proof.account()
    first, second = domain(), domain()
    page = await new_page(proof.a, auth, custom_domain=first)
    proven = await prove(proof, proof.a, auth, page)
    path = f"{PAGES}/{page['id']}"
    # Another field changes: still proven.
    kept = await proof.a.client.patch(path, json={"title": "New"}, headers=auth)
    assert kept.json()["domain_verification"] == proven["domain_verification"]
    # Another domain: pending, a new token; neither name is served.
    moved = (await proof.a.client.patch(path, json={"custom_domain": second}, headers=auth)).json()[
        "domain_verification"
    ]
    assert moved["status"] == "pending"
    assert moved["value"] != proven["domain_verification"]["value"]
    assert (await lookup(proof.a.client, first)).status_code == 404
    assert (await lookup(proof.a.client, second)).status_code == 404
    assert await _claim(proof, first) is None
    # Back to the first: a new claim, a new token; the old record proves nothing now.
    back = (await proof.a.client.patch(path, json={"custom_domain": first}, headers=auth)).json()[
        "domain_verification"
    ]
    assert back["status"] == "pending"
    assert back["value"] != proven["domain_verification"]["value"]
    assert (await verify(proof.a, auth, page["id"])).status_code == 422
    # Removed: nothing to show, nothing held.
    gone = await proof.a.client.patch(path, json={"custom_domain": None}, headers=auth)
    assert gone.json()["domain_verification"] is None
    assert await _claim(proof, first) is None


async def test_an_unproven_claim_lapses_and_another_account_takes_it(proof: Proving) -> None:
    squatter, owner = await proof.account(), await proof.account()
    name = domain()
    squat = await new_page(proof.a, squatter, custom_domain=name)
    blocked = await proof.a.client.post(
        PAGES,
        headers=owner,
        json={"slug": "p-" + name[7:17], "title": "Mine", "custom_domain": name},
    )
    assert blocked.status_code == 409
    try:
        proof.move_clock(GRACE - timedelta(minutes=5))  # not yet
        blocked = await proof.a.client.post(
            PAGES,
            headers=owner,
            json={"slug": "p-" + name[7:17], "title": "Mine", "custom_domain": name},
        )
        assert blocked.status_code == 409
        proof.move_clock(GRACE + timedelta(minutes=5))
        mine = await new_page(proof.a, owner, custom_domain=name)
    finally:
        proof.move_clock(timedelta(0))
    assert mine["domain_verification"]["status"] == "pending"
    assert mine["domain_verification"]["value"] != squat["domain_verification"]["value"]
    # The squatter's page (same cell) let go of the name; its old record proves nothing.
    lost = (await proof.a.client.get(f"{PAGES}/{squat['id']}", headers=squatter)).json()
    assert (lost["custom_domain"], lost["domain_verification"]) == (None, None)
    proof.publish(name, f'"{squat["domain_verification"]["value"]}"')
    assert (await verify(proof.a, squatter, squat["id"])).status_code == 409
    await prove(proof, proof.a, owner, mine)
    assert (await lookup(proof.a.client, name)).json() == {"slug": mine["slug"]}


async def test_a_lapsed_claimant_in_another_cell_cannot_undo_the_new_claim(proof: Proving) -> None:
    squatter, owner = await proof.account(proof.b), await proof.account(proof.a)
    name = domain()
    squat = await new_page(proof.b, squatter, custom_domain=name)
    try:
        proof.move_clock(GRACE + timedelta(hours=1))
        mine = await new_page(proof.a, owner, custom_domain=name)
    finally:
        proof.move_clock(timedelta(0))
    # Cell b still names it on the squatter's page, shown as released, not served there.
    lost = (await proof.b.client.get(f"{PAGES}/{squat['id']}", headers=squatter)).json()
    assert lost["custom_domain"] == name
    assert lost["domain_verification"]["status"] == "released"
    assert lost["domain_verification"]["value"] is None
    refused = await verify(proof.b, squatter, squat["id"])
    assert (refused.status_code, "another account holds" in refused.text) == (409, True)
    # Dropping it there leaves the new owner's claim alone.
    await proof.b.client.patch(
        f"{PAGES}/{squat['id']}", json={"custom_domain": None}, headers=squatter
    )
    assert (await _claim(proof, name)).token in mine["domain_verification"]["value"]
    await prove(proof, proof.a, owner, mine)
    assert (await lookup(proof.a.client, name)).json() == {"slug": mine["slug"]}
    assert (await lookup(proof.b.client, name)).status_code == 307


async def test_a_proven_domain_never_lapses(proof: Proving) -> None:
    owner, other = await proof.account(), await proof.account()
    name = domain()
    page = await new_page(proof.a, owner, custom_domain=name)
    await prove(proof, proof.a, owner, page)
    try:
        proof.move_clock(timedelta(days=400))
        clash = await proof.a.client.post(
            PAGES,
            headers=other,
            json={"slug": "p-" + name[7:17], "title": "X", "custom_domain": name},
        )
    finally:
        proof.move_clock(timedelta(0))
    assert (clash.status_code, "custom_domain" in clash.text) == (409, True)
    assert (await lookup(proof.a.client, name)).json() == {"slug": page["slug"]}


async def test_without_a_directory_no_domain_can_be_set(client: httpx.AsyncClient) -> None:
    user = await new_user(client)
    refused = await client.post(
        PAGES,
        headers=user.headers,
        json={"slug": f"p-{domain()[7:17]}", "title": "T", "custom_domain": domain()},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "custom_domain"]
    assert "VIGIL_DIRECTORY_URL" in refused.text
    listed = (await client.get(PAGES, headers=user.headers)).json()["items"]
    assert listed == []


async def test_a_domain_too_long_for_its_record_is_refused_clearly(proof: Proving) -> None:
    auth = await proof.account()
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 57, "com"])  # 253: the most allowed
    page = await new_page(proof.a, auth, custom_domain=name)
    try:
        refused = await verify(proof.a, auth, page["id"])
        assert refused.status_code == 422
        assert "longer than DNS allows" in refused.text
        assert (await _claim(proof, name)).verified_at is None
    finally:  # a fixed name: give it back
        await proof.a.client.delete(f"{PAGES}/{page['id']}", headers=auth)
