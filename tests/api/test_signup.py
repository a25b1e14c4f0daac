"""Sign-up tells no one which addresses have an account (issue 16).

With VIGIL_SIGNUP_CONFIRM (the default), a free address and a taken one get the same 202 and
the same body; nothing is made for either until the link mailed to a free address is
followed (it works once); the holder of a taken one is sent a note instead. The mails are
read from the cell's deliveries queue here; tests/e2e/test_browser_self_service.py follows
them through the notifier to an SMTP sink.
"""

from __future__ import annotations

import time

import aio_pika
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from api import security
from shared import names
from shared.delivery_message import Delivery, decode_delivery
from shared.tables import accounts
from tests.api.helpers import PASSWORD, client_for, new_user, settings, unique_email
from tests.helpers import eventually, short_name

pytestmark = pytest.mark.integration
AUTH = "/api/v1/auth"
FRONTEND = "https://vigil.example"


async def _deliveries(queue: aio_pika.abc.AbstractQueue, count: int) -> list[Delivery]:
    found = []
    for _ in range(count):
        message = await eventually(lambda: queue.get(fail=False), "an account mail's delivery")
        await message.ack()
        found.append(decode_delivery(message.body))
    assert await queue.get(fail=False) is None  # no other mail
    return found


async def _made(engine: AsyncEngine, email: str) -> str | None:
    async with engine.connect() as conn:
        return await conn.scalar(select(accounts.c.password_hash).where(accounts.c.email == email))


async def test_a_taken_address_gets_the_answer_of_a_free_one_and_its_owner_a_note(
    client: httpx.AsyncClient, database_url: str, amqp_url: str, engine: AsyncEngine
) -> None:
    owner = await new_user(client)  # an account made beforehand
    owner_hash = await _made(engine, owner.email)
    cell, fresh = short_name("su"), unique_email()
    async with client_for(
        database_url,
        VIGIL_AMQP_URL=amqp_url,
        VIGIL_CELL=cell,
        VIGIL_SIGNUP_CONFIRM="true",
        VIGIL_FRONTEND_URL=FRONTEND,
    ) as api:
        policy = (await api.get(f"{AUTH}/signup-policy")).json()
        assert policy["confirm"] is True and policy["first_run"] is False
        free = await api.post(
            f"{AUTH}/signup",
            json={"email": fresh, "password": PASSWORD},
            headers={"Accept-Language": "nl-NL,nl;q=0.9"},
        )
        taken = await api.post(
            f"{AUTH}/signup", json={"email": owner.email.upper(), "password": "someone else's"}
        )
        assert free.status_code == taken.status_code == 202, (free.text, taken.text)
        assert free.json() == taken.json() and set(free.json()) == {"detail"}
        assert free.headers["content-type"] == taken.headers["content-type"]
        # Nothing made for either: no account for the free one yet, the taken one unchanged.
        assert await _made(engine, fresh) is None
        assert await _made(engine, owner.email) == owner_hash

        conn = await aio_pika.connect(amqp_url)
        async with conn:
            channel = await conn.channel()
            queue = await channel.declare_queue(names.deliveries_queue(cell), passive=True)
            link_mail, note = await _deliveries(queue, 2)
            await queue.delete(if_unused=False, if_empty=False)
        assert (link_mail.channel_kind, link_mail.config) == ("email", {"to": [fresh]})
        assert link_mail.notification.kind == "signup_confirm"
        assert link_mail.notification.language == "nl"
        assert link_mail.notification.expires_at is not None
        assert link_mail.notification.url.startswith(f"{FRONTEND}/activate/vs_")
        assert PASSWORD not in link_mail.notification.url
        assert (note.config, note.notification.kind) == ({"to": [owner.email]}, "signup_taken")
        assert note.notification.url == f"{FRONTEND}/login"

        token = link_mail.notification.url.rsplit("/activate/", 1)[1]
        made = await api.post(f"{AUTH}/signup/confirm", json={"token": token})
        assert made.status_code == 200, made.text
        me = await api.get(
            f"{AUTH}/me", headers={"Authorization": f"Bearer {made.json()['access_token']}"}
        )
        assert me.json()["email"] == fresh
        again = await api.post(f"{AUTH}/signup/confirm", json={"token": token})
        assert again.status_code == 401  # once only
        login = await api.post(f"{AUTH}/login", json={"email": fresh, "password": PASSWORD})
        assert login.status_code == 200
        owners = await api.post(
            f"{AUTH}/login", json={"email": owner.email, "password": "someone else's"}
        )
        assert owners.status_code == 401


async def test_forged_expired_or_foreign_sign_up_links_make_nothing(
    client: httpx.AsyncClient, database_url: str, engine: AsyncEngine
) -> None:
    await new_user(client)
    conf = settings(database_url)
    email = unique_email()
    hashed = security.hash_password(PASSWORD)
    good = security.signup_token(email, hashed, conf)
    body = good[len(security.SIGNUP_PREFIX) :]
    flipped = good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1]
    bad = [
        security.signup_token(email, hashed, conf, now=time.time() - 2 * conf.reset_ttl_s),
        security.signup_token(email, hashed, settings(database_url, VIGIL_CELL="other")),
        security.signup_token(
            email,
            hashed,
            settings(database_url, VIGIL_SECRET_KEY="another secret that is long enough!!"),
        ),
        flipped,
        body,
        "vs_",
        "vs_!!!",
        "1.2.3",
    ]
    async with client_for(database_url, VIGIL_SIGNUP_CONFIRM="true") as api:
        for token in bad:
            answer = await api.post(f"{AUTH}/signup/confirm", json={"token": token})
            assert answer.status_code == 401, (token, answer.text)
        assert (
            await api.post(f"{AUTH}/signup/confirm", json={"token": "x" * 601})
        ).status_code == 422
        assert await _made(engine, email) is None


async def test_a_sign_up_link_obeys_the_policy_of_when_it_is_followed(
    client: httpx.AsyncClient, database_url: str, engine: AsyncEngine
) -> None:
    await new_user(client)
    email = unique_email()
    token = security.signup_token(email, security.hash_password(PASSWORD), settings(database_url))
    async with client_for(database_url, VIGIL_SIGNUP="invite") as api:
        closed = await api.post(f"{AUTH}/signup/confirm", json={"token": token})
        assert closed.status_code == 403
    assert await _made(engine, email) is None


async def test_sign_up_is_rate_limited_whether_the_address_is_free_or_not(
    client: httpx.AsyncClient, database_url: str
) -> None:
    owner = await new_user(client)
    async with client_for(
        database_url, VIGIL_SIGNUP_CONFIRM="true", VIGIL_AUTH_RATE_PER_EMAIL="2"
    ) as api:
        for email in (owner.email, unique_email()):
            codes = [
                (
                    await api.post(f"{AUTH}/signup", json={"email": email, "password": PASSWORD})
                ).status_code
                for _ in range(3)
            ]
            assert codes == [202, 202, 429], email
