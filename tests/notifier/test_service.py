"""`vigil notifier` against the real RabbitMQ and PostgreSQL, and a real local receiver."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import aio_pika
import asyncpg
import pytest
from aiohttp import web
from prometheus_client import REGISTRY

from api import notify
from notifier import channels
from notifier.channels.webhook import verify
from notifier.delivery import Delivery, encode_delivery
from notifier.message import Notification
from notifier.service import serve
from shared import amqp, names
from shared.codec import encode_incident_event
from shared.config import Settings
from shared.messages import IncidentEvent
from shared.secrets import encrypt_json
from tests.helpers import eventually, short_name
from tests.notifier.channels.conftest import Receiver
from tests.targets import serve as serve_app

pytestmark = pytest.mark.integration
MAX_ATTEMPTS = 3
SECRET = "whsec"


@dataclass
class Notifier:
    cell: str
    settings: Settings
    receiver: Receiver
    amqp_url: str
    database_url: str

    def delivery(self, path: str, key: str | None = None, **kw) -> Delivery:
        key = key or short_name("k")
        n = Notification(kind="opened", key=key, monitor="Shop", incident_id=1)
        config = {"url": f"{self.receiver.url}{path}", "secret": SECRET}
        return Delivery(
            key=f"{key}/1",
            channel_kind="webhook",
            notification=n,
            channel_id=1,
            account_id=1,
            **({"config": config} | kw),
        )

    async def publish(self, *bodies: bytes) -> None:
        conn = await aio_pika.connect(self.amqp_url)
        async with conn:
            channel = await conn.channel()
            ex = await channel.declare_exchange(names.DELIVERIES_EXCHANGE, "direct", durable=True)
            for body in bodies:
                await ex.publish(amqp.persistent(body, "application/json"), routing_key=self.cell)

    async def attempts(self, key: str) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url)
        try:
            return await conn.fetch(
                "SELECT * FROM notification_attempts WHERE idempotency_key = $1 ORDER BY attempt",
                key,
            )
        finally:
            await conn.close()

    async def state(self, key: str) -> str | None:
        conn = await asyncpg.connect(self.database_url)
        try:
            return await conn.fetchval(
                "SELECT state FROM notification_deliveries WHERE idempotency_key = $1", key
            )
        finally:
            await conn.close()

    async def dead_letters(self) -> list[bytes]:
        conn = await aio_pika.connect(self.amqp_url)
        out = []
        async with conn:
            channel = await conn.channel()
            dead = await channel.declare_queue(
                names.dead_letter(names.deliveries_queue(self.cell)), durable=True, passive=True
            )
            while (message := await dead.get(fail=False)) is not None:
                out.append(message.body)
                await message.ack()
        return out

    def hits(self, path: str) -> list:
        return [r for r in self.receiver.requests if r.path == path]


@pytest.fixture
async def notifier(database_url: str, amqp_url: str) -> AsyncIterator[Notifier]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", receiver.handle)
    cell = short_name("n")
    settings = Settings.from_env(
        {
            "VIGIL_DATABASE_URL": database_url,
            "VIGIL_AMQP_URL": amqp_url,
            "VIGIL_CELL": cell,
            "VIGIL_NOTIFY_BACKOFF_BASE": "50",
            "VIGIL_NOTIFY_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
            "VIGIL_NOTIFY_ALLOW_PRIVATE": "true",
            "VIGIL_NOTIFY_TIMEOUT": "5",
            "VIGIL_SECRET_KEY": "test-key",
        }
    )
    async with serve_app(app) as url:
        receiver.url = url
        stop = asyncio.Event()
        task = asyncio.create_task(serve(settings, stop))
        await _wait_consumer(amqp_url, cell)
        yield Notifier(cell, settings, receiver, amqp_url, database_url)
        stop.set()
        await asyncio.wait_for(task, 10)


async def _wait_consumer(amqp_url: str, cell: str, queue: str | None = None) -> None:
    async def consuming() -> bool:
        conn = await aio_pika.connect(amqp_url)
        async with conn:
            channel = await conn.channel()
            try:
                q = await channel.declare_queue(queue or names.deliveries_queue(cell), passive=True)
            except aio_pika.exceptions.ChannelClosed:
                return False
            return (q.declaration_result.consumer_count or 0) > 0

    await eventually(consuming, "the notifier to consume")


def _count(outcome: str) -> float:
    return REGISTRY.get_sample_value("vigil_notifier_deliveries_total", {"outcome": outcome}) or 0.0


async def test_fails_twice_then_succeeds_delivered_once_with_three_attempts(notifier) -> None:
    notifier.receiver.script["/flaky"] = [500, 503, 200]
    d = notifier.delivery("/flaky")
    await notifier.publish(encode_delivery(d))

    async def sent() -> bool:
        return await notifier.state(d.key) == "sent"

    await eventually(sent, "the delivery to be sent")
    hits = notifier.hits("/flaky")
    assert len(hits) == 3  # two failures, one success: exactly one delivery
    last = hits[-1]
    assert verify(
        SECRET, last.headers["X-Vigil-Timestamp"], last.body, last.headers["X-Vigil-Signature"]
    )
    attempts = await notifier.attempts(d.key)
    assert [(a["attempt"], a["outcome"]) for a in attempts] == [
        (1, "retry"),
        (2, "retry"),
        (3, "sent"),
    ]
    assert attempts[0]["error"].startswith("HTTP 500") and not attempts[0]["permanent"]
    assert attempts[2]["detail"] == "HTTP 200: ok"
    assert attempts[0]["channel_kind"] == "webhook" and attempts[0]["channel_id"] == 1


async def test_always_failing_ends_in_the_dead_letter_queue_with_every_attempt(notifier) -> None:
    notifier.receiver.script["/down"] = [502]
    d = notifier.delivery("/down")
    await notifier.publish(encode_delivery(d))

    async def failed() -> bool:
        return await notifier.state(d.key) == "failed"

    await eventually(failed, "the delivery to fail for good")
    attempts = await notifier.attempts(d.key)
    assert [a["outcome"] for a in attempts] == ["retry"] * (MAX_ATTEMPTS - 1) + ["failed"]
    assert all(a["error"].startswith("HTTP 502") for a in attempts)
    dead = await eventually(notifier.dead_letters, "the dead letter")
    assert [json.loads(b)["key"] for b in dead] == [d.key]
    assert len(notifier.hits("/down")) == MAX_ATTEMPTS


async def test_a_permanent_error_is_not_retried(notifier) -> None:
    notifier.receiver.script["/gone"] = [410]
    d = notifier.delivery("/gone")
    await notifier.publish(encode_delivery(d))

    async def failed() -> bool:
        return await notifier.state(d.key) == "failed"

    await eventually(failed, "the delivery to fail")
    [attempt] = await notifier.attempts(d.key)
    assert attempt["permanent"] and attempt["outcome"] == "failed"
    assert len(await eventually(notifier.dead_letters, "the dead letter")) == 1


async def test_a_redelivered_message_is_sent_once(notifier) -> None:
    d = notifier.delivery("/once")
    body = encode_delivery(d)
    before = _count("duplicate")
    await notifier.publish(body, body, body)

    async def duplicates_dropped() -> bool:
        return _count("duplicate") - before >= 2

    await eventually(duplicates_dropped, "both copies to be recognised")
    await notifier.publish(body)  # and once more, long after it was sent
    await eventually(lambda: asyncio.sleep(0, _count("duplicate") - before >= 3), "a third")
    assert len(notifier.hits("/once")) == 1
    assert [a["outcome"] for a in await notifier.attempts(d.key)] == ["sent"]


async def test_garbage_is_dead_lettered_and_the_notifier_goes_on(notifier) -> None:
    good = notifier.delivery("/after-garbage")
    bad_notification = json.loads(encode_delivery(notifier.delivery("/x")))
    bad_notification["notification"]["kind"] = "exploded"
    await notifier.publish(
        b"garbage",
        b"\xff\x00",
        b'{"v": 1}',
        json.dumps(bad_notification).encode(),
        encode_delivery(good),
    )

    async def delivered() -> bool:
        return await notifier.state(good.key) == "sent"

    await eventually(delivered, "the good delivery")

    async def four_dead() -> list[bytes]:
        dead.extend(await notifier.dead_letters())
        return dead if len(dead) >= 4 else []

    dead: list[bytes] = []
    await eventually(four_dead, "four dead letters")
    assert len(dead) == 4 and b"garbage" in dead


async def test_a_spoiled_api_delivery_is_dead_lettered_whole_with_the_field_named(
    notifier, caplog
) -> None:
    """A body the API built (api/notify.py) but spoiled on the way is refused by the shared
    decoder: the error names the field, and the very bytes wait in the dead-letter queue."""
    body = json.loads(
        notify.account_mail(
            "invitation",
            short_name("invitation"),
            "a@example.com",
            "Boss",
            "https://x",
            "en",
            datetime(2026, 12, 10, tzinfo=UTC),
        )
    )
    body["notification"]["expires_at"] = "next tuesday"
    spoiled = json.dumps(body).encode()
    before = _count("dead_lettered")
    with caplog.at_level(logging.ERROR, logger="shared.amqp"):
        await notifier.publish(spoiled)

        async def dead_lettered() -> list[bytes]:
            dead.extend(await notifier.dead_letters())
            return dead

        dead: list[bytes] = []
        await eventually(dead_lettered, "the spoiled delivery in the dead-letter queue")
    assert dead == [spoiled]
    assert _count("dead_lettered") - before == 1
    errors = [
        getattr(r, "error", "")
        for r in caplog.records
        if r.getMessage() == "malformed message dead-lettered"
    ]
    assert any("notification.expires_at" in e for e in errors), errors
    assert await notifier.state(body["key"]) is None  # nothing claimed, nothing sent


async def test_sealed_settings_are_opened_with_the_deployment_key(notifier) -> None:
    plain = notifier.delivery("/sealed")
    sealed = Delivery(
        plain.key,
        plain.channel_kind,
        plain.notification,
        1,
        1,
        sealed_config=encrypt_json("test-key", plain.config),
    )
    foreign = notifier.delivery("/never", sealed_config=encrypt_json("other-key", {}), config=None)
    await notifier.publish(encode_delivery(sealed), encode_delivery(foreign))

    async def settled() -> bool:
        return (
            await notifier.state(sealed.key) == "sent"
            and await notifier.state(foreign.key) == "failed"
        )

    await eventually(settled, "one sent, one refused")
    [attempt] = await notifier.attempts(foreign.key)
    assert attempt["permanent"] and "key" in attempt["error"]
    assert notifier.hits("/never") == []


async def test_an_unknown_channel_kind_fails_on_its_first_attempt(notifier) -> None:
    plain = notifier.delivery("/never")
    d = Delivery(plain.key, "carrier-pigeon", plain.notification, 1, 1, config={})
    await notifier.publish(encode_delivery(d))

    async def failed() -> bool:
        return await notifier.state(d.key) == "failed"

    await eventually(failed, "the delivery to fail")
    [attempt] = await notifier.attempts(d.key)
    assert attempt["permanent"] and "carrier-pigeon" in attempt["error"]


async def test_a_bug_in_a_channel_costs_tries_not_the_notifier(notifier, monkeypatch) -> None:
    async def broken(notification, config, ctx) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(channels.REGISTRY, "broken", "tests.not.imported")
    monkeypatch.setitem(channels._loaded, "broken", broken)
    plain = notifier.delivery("/never")
    d = Delivery(plain.key, "broken", plain.notification, 1, 1, config={})
    after = notifier.delivery("/after-bug")
    await notifier.publish(encode_delivery(d), encode_delivery(after))

    async def settled() -> bool:
        return await notifier.state(d.key) == "failed" and await notifier.state(after.key) == "sent"

    await eventually(settled, "the broken delivery to fail and the next to go")
    attempts = await notifier.attempts(d.key)
    assert len(attempts) == MAX_ATTEMPTS
    assert attempts[0]["error"] == "internal error: RuntimeError: boom"


async def test_garbage_incident_events_are_dead_lettered_and_the_fan_out_goes_on(notifier) -> None:
    """The fan-out's input: msgpack incident events on vigil.events for this cell."""
    cell = notifier.cell
    unknown = IncidentEvent("opened", cell, 2**62, 1, 1, "down", "x", 1, None, None)
    before = REGISTRY.get_sample_value("vigil_notifier_events_total", {"outcome": "unknown"}) or 0.0
    await _wait_consumer(notifier.amqp_url, cell, names.notifications_queue(cell))
    conn = await aio_pika.connect(notifier.amqp_url)
    async with conn:
        channel = await conn.channel()
        ex = await channel.declare_exchange(names.EVENTS_EXCHANGE, "topic", durable=True)
        for body in (b"garbage", b"\x81\xa1v\x63", encode_incident_event(unknown)):
            await ex.publish(amqp.persistent(body), routing_key=names.incident_key("opened", cell))
        dead = await channel.declare_queue(
            names.dead_letter(names.notifications_queue(cell)), durable=True, passive=True
        )

        async def two_dead() -> bool:
            return (
                await channel.declare_queue(dead.name, passive=True)
            ).declaration_result.message_count == 2

        await eventually(two_dead, "two dead incident events")

    async def counted() -> bool:
        return (
            REGISTRY.get_sample_value("vigil_notifier_events_total", {"outcome": "unknown"}) or 0.0
        ) > before

    await eventually(counted, "the event of an unknown incident to be dropped")
