"""Status page subscribers through the API: the public sign-up (double opt-in, rate limits,
tokens) and the owner's list, export and removal."""

from __future__ import annotations

import csv
import io
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aio_pika
import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import amqp
from shared import subscriptions as tokens
from shared.delivery_message import decode_delivery
from shared.tables import status_subscribers
from tests.api.helpers import SECRET, User, client_for, create_monitor, new_user
from tests.helpers import short_name

pytestmark = pytest.mark.integration
PAGES = "/api/v1/status-pages"
PUBLIC = "/api/v1/public"
ss = status_subscribers


@dataclass
class Page:
    id: int
    slug: str
    monitors: list[int]  # the first in group "web", the second in "db"


@dataclass
class Api:
    client: httpx.AsyncClient
    cell: str
    amqp_url: str

    async def mails(self) -> list[dict]:
        """Every confirmation delivery queued for the cell's notifier so far, taken."""
        conn = await aio_pika.connect(self.amqp_url)
        out = []
        async with conn:
            channel = await conn.channel()
            queue = await amqp.deliveries_queue(channel, self.cell)
            while (message := await queue.get(fail=False)) is not None:
                await message.ack()
                out.append(decode_delivery(message.body))
        return out


@pytest.fixture
async def api(database_url: str, amqp_url: str) -> AsyncIterator[Api]:
    cell = short_name("sub")
    async with client_for(
        database_url,
        VIGIL_AMQP_URL=amqp_url,
        VIGIL_CELL=cell,
        VIGIL_SUBSCRIBE_RATE_PER_IP="20",
        VIGIL_SUBSCRIBE_RATE_PER_EMAIL="2",
        VIGIL_PUBLIC_URL="https://status.example",
    ) as client:
        yield Api(client, cell, amqp_url)


async def _page(client: httpx.AsyncClient, user: User) -> Page:
    slug = f"p-{uuid.uuid4().hex[:10]}"
    made = await client.post(
        PAGES,
        headers=user.headers,
        json={"slug": slug, "title": "Shop status", "language": "nl", "groups": ["web", "db"]},
    )
    assert made.status_code == 201, made.text
    page_id, monitors = made.json()["id"], []
    for group in ("web", "db"):
        monitor = await create_monitor(client, user)
        linked = await client.post(
            f"{PAGES}/{page_id}/monitors",
            headers=user.headers,
            json={"monitor_id": monitor["id"], "group": group},
        )
        assert linked.status_code in (200, 201), linked.text
        monitors.append(monitor["id"])
    return Page(page_id, slug, monitors)


async def _count(engine: AsyncEngine, page: Page, confirmed: bool | None = None) -> int:
    query = select(func.count()).select_from(ss).where(ss.c.page_id == page.id)
    if confirmed is not None:
        query = query.where(
            ss.c.confirmed_at.is_not(None) if confirmed else ss.c.confirmed_at.is_(None)
        )
    async with engine.connect() as conn:
        return (await conn.execute(query)).scalar_one()


def _token(mail) -> str:
    return mail.notification.url.rsplit("token=", 1)[1]


async def test_double_opt_in_from_sign_up_to_unsubscribe(api: Api, engine: AsyncEngine) -> None:
    user = await new_user(api.client)
    page = await _page(api.client, user)
    url = f"{PUBLIC}/status-pages/{page.slug}/subscribers"
    signed = await api.client.post(url, json={"email": "Ann@Example.com", "groups": ["web"]})
    assert signed.status_code == 202, signed.text
    [mail] = await api.mails()
    assert (mail.channel_kind, mail.config) == ("email", {"to": ["ann@example.com"]})
    n = mail.notification
    assert (n.kind, n.monitor, n.language) == ("subscribe_confirm", "Shop status", "nl")
    assert n.url.startswith(f"https://status.example/s/{page.slug}/subscription/confirm?")
    assert await _count(engine, page, confirmed=False) == 1
    for answer in ("subscription confirmed", "subscription already confirmed"):
        done = await api.client.post(
            f"{PUBLIC}/subscriptions/confirm", json={"token": _token(mail)}
        )
        assert done.json() == {"detail": answer, "page": page.slug}
    assert await _count(engine, page, confirmed=True) == 1
    # Signing up again once confirmed sends nothing and changes nothing.
    again = await api.client.post(url, json={"email": "ann@example.com"})
    assert again.status_code == 202 and await api.mails() == []
    listed = (await api.client.get(f"{PAGES}/{page.id}/subscribers", headers=user.headers)).json()[
        "items"
    ]
    assert [(s["address"], s["groups"], s["confirmed"]) for s in listed] == [
        ("ann@example.com", ["web"], True)
    ]
    leave = tokens.make(SECRET, tokens.UNSUBSCRIBE, listed[0]["id"])
    for answer in ("unsubscribed", "not subscribed"):
        out = await api.client.post(f"{PUBLIC}/subscriptions/unsubscribe", json={"token": leave})
        assert out.status_code == 200 and out.json()["detail"] == answer
    assert await _count(engine, page) == 0


async def test_an_unconfirmed_sign_up_can_be_repeated_and_is_limited_per_address(
    api: Api, engine: AsyncEngine
) -> None:
    page = await _page(api.client, await new_user(api.client))
    url = f"{PUBLIC}/status-pages/{page.slug}/subscribers"
    answers = [
        (await api.client.post(url, json={"email": "bob@example.com"})).status_code
        for _ in range(3)
    ]
    assert answers == [202, 202, 429]
    assert len(await api.mails()) <= 2 and await _count(engine, page) == 1


async def test_ten_thousand_sign_ups_from_one_ip_are_rate_limited(
    api: Api, engine: AsyncEngine
) -> None:
    page = await _page(api.client, await new_user(api.client))
    url = f"{PUBLIC}/status-pages/{page.slug}/subscribers"
    statuses: dict[int, int] = {}
    started = time.monotonic()
    for i in range(10_000):
        code = (await api.client.post(url, json={"email": f"u{i}@example.com"})).status_code
        statuses[code] = statuses.get(code, 0) + 1
    refilled = (time.monotonic() - started) * 20 / 60  # the bucket refills as the run goes
    assert set(statuses) == {202, 429}, statuses
    assert 20 <= statuses[202] <= 20 + refilled + 1, statuses
    assert await _count(engine, page) == statuses[202]
    assert len(await api.mails()) == statuses[202]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": "a@example.com\r\nBcc: victim@example.com"}, "email"),
        ({"email": "a@example.com,b@example.com"}, "email"),
        ({"email": ""}, "email"),
        ({"email": "a" * 250 + "@example.com"}, "email"),
        ({}, "email"),
        ({"email": "a@example.com", "monitor_ids": []}, "monitor_ids"),
        ({"email": "a@example.com", "monitor_ids": ["x"]}, "monitor_ids"),
        ({"email": "a@example.com", "monitor_ids": [999_999_999]}, "monitor_ids"),
        ({"email": "a@example.com", "groups": ["nope"]}, "groups"),
        ({"email": "a@example.com", "extra": 1}, "extra"),
    ],
)
async def test_garbage_sign_ups_are_refused_naming_the_field(
    api: Api, engine: AsyncEngine, body: dict, field: str
) -> None:
    page = await _page(api.client, await new_user(api.client))
    answer = await api.client.post(f"{PUBLIC}/status-pages/{page.slug}/subscribers", json=body)
    assert answer.status_code == 422, answer.text
    assert any(field in map(str, e["loc"]) for e in answer.json()["detail"]), answer.text
    assert await _count(engine, page) == 0 and await api.mails() == []


async def test_tampered_and_foreign_tokens_are_refused(api: Api, engine: AsyncEngine) -> None:
    page = await _page(api.client, await new_user(api.client))
    await api.client.post(
        f"{PUBLIC}/status-pages/{page.slug}/subscribers", json={"email": "eve@example.com"}
    )
    [mail] = await api.mails()
    good = _token(mail)
    ident, expires, mac = good.split(".")
    forged = [
        f"{int(ident) + 1}.{expires}.{mac}",
        f"{ident}.{int(expires) + 9}.{mac}",
        f"{ident}.{expires}.{mac[::-1]}",
        "garbage",
        tokens.make("another-key", tokens.CONFIRM, int(ident)),
        tokens.make(SECRET, tokens.UNSUBSCRIBE, int(ident)),
    ]  # the other purpose
    for token in forged:
        answer = await api.client.post(f"{PUBLIC}/subscriptions/confirm", json={"token": token})
        assert answer.status_code == 400, (token, answer.text)
        assert answer.json()["detail"].startswith("token:")
    assert await _count(engine, page, confirmed=True) == 0
    leave = await api.client.post(f"{PUBLIC}/subscriptions/unsubscribe", json={"token": good})
    assert leave.status_code == 400 and await _count(engine, page) == 1


async def test_the_owner_exports_and_removes_and_adds_webhooks(
    api: Api, engine: AsyncEngine
) -> None:
    user, stranger = await new_user(api.client), await new_user(api.client)
    page = await _page(api.client, user)
    await api.client.post(
        f"{PUBLIC}/status-pages/{page.slug}/subscribers", json={"email": "=cmd@example.com"}
    )
    hook = await api.client.post(
        f"{PAGES}/{page.id}/subscribers",
        headers=user.headers,
        json={
            "url": "https://hooks.example.com/status",
            "secret": "0123456789abcdef",
            "monitor_ids": [page.monitors[1]],
        },
    )
    assert hook.status_code == 201, hook.text
    assert "secret" not in hook.json() and hook.json()["confirmed"] is True
    exported = await api.client.get(f"{PAGES}/{page.id}/subscribers.csv", headers=user.headers)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["kind"], r["address"], r["confirmed"]) for r in rows] == [
        ("email", "'=cmd@example.com", "False"),
        ("webhook", "https://hooks.example.com/status", "True"),
    ]
    assert "0123456789abcdef" not in exported.text
    for path in (f"{PAGES}/{page.id}/subscribers", f"{PAGES}/{page.id}/subscribers.csv"):
        assert (await api.client.get(path, headers=stranger.headers)).status_code == 404
    gone = f"{PAGES}/{page.id}/subscribers/{hook.json()['id']}"
    assert (await api.client.delete(gone, headers=stranger.headers)).status_code == 404
    assert (await api.client.delete(gone, headers=user.headers)).status_code == 204
    assert (await api.client.delete(gone, headers=user.headers)).status_code == 404
    assert await _count(engine, page) == 1
    await api.mails()


async def test_a_page_that_does_not_exist_is_404(api: Api) -> None:
    answer = await api.client.post(
        f"{PUBLIC}/status-pages/no-such-page-x/subscribers", json={"email": "a@example.com"}
    )
    assert answer.status_code == 404 and await api.mails() == []


async def test_no_scope_is_stored_as_sql_null(api: Api, engine: AsyncEngine) -> None:
    """The notifier reads NULL as "the whole page": a JSON null would be a scope of nothing."""
    page = await _page(api.client, await new_user(api.client))
    await api.client.post(
        f"{PUBLIC}/status-pages/{page.slug}/subscribers", json={"email": "all@example.com"}
    )
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(ss.c.monitor_ids.is_(None), ss.c.groups.is_(None)).where(
                    ss.c.page_id == page.id
                )
            )
        ).one()
    assert tuple(row) == (True, True)
    await api.mails()


async def test_the_limit_is_per_visitor_behind_a_trusted_proxy_only(
    database_url: str, amqp_url: str
) -> None:
    """The frontend names the visitor in X-Forwarded-For; from an untrusted peer the header
    is ignored, so a client cannot choose a fresh bucket for each sign-up."""
    cell = short_name("sub")
    async with client_for(
        database_url,
        VIGIL_AMQP_URL=amqp_url,
        VIGIL_CELL=cell,
        VIGIL_SUBSCRIBE_RATE_PER_IP="2",
        VIGIL_TRUSTED_PROXIES="127.0.0.1",
    ) as client:
        api = Api(client, cell, amqp_url)
        page = await _page(client, await new_user(client))
        url = f"{PUBLIC}/status-pages/{page.slug}/subscribers"

        async def sign_up(i: int, visitor: str) -> int:
            answer = await client.post(
                url, json={"email": f"v{i}@example.com"}, headers={"X-Forwarded-For": visitor}
            )
            return answer.status_code

        # httpx's ASGI transport calls itself 127.0.0.1: trusted here.
        assert [await sign_up(i, "198.51.100.7") for i in range(3)] == [202, 202, 429]
        assert await sign_up(3, "198.51.100.8") == 202  # another visitor, its own bucket
        await api.mails()
    async with client_for(
        database_url,
        VIGIL_AMQP_URL=amqp_url,
        VIGIL_CELL=cell,
        VIGIL_SUBSCRIBE_RATE_PER_IP="2",
        VIGIL_TRUSTED_PROXIES="192.0.2.1",
    ) as client:
        answers = [
            (
                await client.post(
                    url,
                    json={"email": f"w{i}@example.com"},
                    headers={"X-Forwarded-For": f"203.0.113.{i}"},
                )
            ).status_code
            for i in range(3)
        ]
        assert answers == [202, 202, 429]  # the header from an untrusted peer counts not
        await Api(client, cell, amqp_url).mails()
