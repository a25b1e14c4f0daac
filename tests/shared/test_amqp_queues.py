"""Quorum queues by default against the machine's RabbitMQ: the type and the poison-message
limit take effect, a classic queue left by an earlier version keeps working, and several
broker URLs fail over to one that answers."""

from __future__ import annotations

import asyncio

import aio_pika.abc
import pytest

from shared import amqp, names
from shared.config import ConfigError, Settings
from shared.rabbitmq_admin import RabbitAdmin, vhost_of
from tests.services import unique

MANAGEMENT = "http://guest:guest@127.0.0.1:15672"
QUORUM = amqp.QueueOptions("quorum", 2)
CLASSIC = amqp.QueueOptions("classic", 2)


async def _type_of(amqp_url: str, queue: str) -> str:
    async with RabbitAdmin(MANAGEMENT, vhost_of(amqp_url)) as admin:
        found = await admin.queue(queue)
    assert found is not None, f"queue {queue} was not declared"
    return str(found["type"])


async def _eventually(queue: aio_pika.abc.AbstractQueue) -> aio_pika.abc.AbstractIncomingMessage:
    """The next message of `queue`: dead-lettering is asynchronous, so wait for it."""
    for _ in range(100):
        message = await queue.get(fail=False)
        if message is not None:
            return message
        await asyncio.sleep(0.1)
    raise AssertionError(f"nothing reached {queue.name} in 10 s")


@pytest.mark.integration
async def test_results_queue_is_quorum_with_a_delivery_limit(amqp_url: str) -> None:
    cell = unique("q")[:30]
    connection = await amqp.connect(amqp_url, QUORUM)
    try:
        channel = await connection.channel()
        await amqp.results_queue(channel, cell)
        assert await _type_of(amqp_url, names.results_queue(cell)) == "quorum"
        assert await _type_of(amqp_url, names.dead_letter(names.results_queue(cell))) == "quorum"
    finally:
        await connection.close()


@pytest.mark.integration
async def test_a_poison_message_is_dead_lettered_after_the_limit(amqp_url: str) -> None:
    cell = unique("p")[:30]
    connection = await amqp.connect(amqp_url, QUORUM)
    try:
        channel = await connection.channel()
        queue = await amqp.results_queue(channel, cell)
        await channel.default_exchange.publish(amqp.persistent(b"poison"), queue.name)
        deliveries = 0
        while (message := await queue.get(timeout=10, fail=False)) is not None:
            deliveries += 1  # a consumer that crashes on it: returned to the queue each time
            assert deliveries <= QUORUM.delivery_limit + 1, "the poison message loops"
            await message.nack(requeue=True)
        assert deliveries >= QUORUM.delivery_limit
        dead = await channel.declare_queue(names.dead_letter(queue.name), passive=True)
        message = await _eventually(dead)
        assert message.body == b"poison"
    finally:
        await connection.close()


@pytest.mark.integration
async def test_an_earlier_classic_queue_keeps_working(amqp_url: str) -> None:
    cell = unique("c")[:30]
    old = await amqp.connect(amqp_url, CLASSIC)  # as an earlier version declared it
    new = await amqp.connect(amqp_url, QUORUM)
    try:
        await amqp.deliveries_queue(await old.channel(), cell)
        channel = await new.channel()
        queue = await amqp.deliveries_queue(channel, cell)
        assert await _type_of(amqp_url, queue.name) == "classic"
        await channel.default_exchange.publish(amqp.persistent(b"still here"), queue.name)
        message = await queue.get(timeout=10, fail=True)
        assert message is not None and message.body == b"still here"
        await message.ack()
    finally:
        await old.close()
        await new.close()


@pytest.mark.integration
async def test_classic_setting_declares_classic(amqp_url: str) -> None:
    cell = unique("k")[:30]
    connection = await amqp.connect(amqp_url, CLASSIC)
    try:
        await amqp.results_queue(await connection.channel(), cell)
        assert await _type_of(amqp_url, names.results_queue(cell)) == "classic"
    finally:
        await connection.close()


@pytest.mark.integration
async def test_a_dead_broker_in_the_list_is_skipped(amqp_url: str) -> None:
    dead = amqp_url.replace("127.0.0.1:5672", "127.0.0.1:1")  # nothing listens on port 1
    connection = await amqp.connect(f"{dead},{amqp_url}", QUORUM, timeout=5)
    try:
        assert connection.url.port == 5672
        channel = await connection.channel()
        assert not channel.is_closed
    finally:
        await connection.close()


@pytest.mark.integration
async def test_no_broker_answering_raises(amqp_url: str) -> None:
    dead = amqp_url.replace("127.0.0.1:5672", "127.0.0.1:1")
    with pytest.raises((ConnectionError, OSError)):
        await amqp.connect(f"{dead},{dead.replace(':1/', ':2/')}", QUORUM, timeout=5)


@pytest.mark.unit
@pytest.mark.parametrize(
    "value, field",
    [
        ("http://127.0.0.1:5672/", "VIGIL_AMQP_URL"),
        ("amqp://a:5672/x,amqp://b:5672/y", "VIGIL_AMQP_URL"),
        (" , ", "VIGIL_AMQP_URL"),
        ("amqp://a:5672/,ftp://b/", "VIGIL_AMQP_URL"),
    ],
)
def test_garbage_broker_lists_are_refused(value: str, field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        Settings.from_env({"VIGIL_AMQP_URL": value})


@pytest.mark.unit
@pytest.mark.parametrize(
    "env",
    [
        {"VIGIL_AMQP_QUEUE_TYPE": "stream"},
        {"VIGIL_AMQP_QUEUE_TYPE": ""},
        {"VIGIL_AMQP_DELIVERY_LIMIT": "0"},
        {"VIGIL_AMQP_DELIVERY_LIMIT": "many"},
    ],
)
def test_garbage_queue_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=next(iter(env))):
        Settings.from_env(env)


@pytest.mark.unit
def test_several_brokers_are_read() -> None:
    s = Settings.from_env({"VIGIL_AMQP_URL": "amqp://g:g@a:5672/v, amqp://g:g@b:5673/v"})
    assert s.amqp_url == "amqp://g:g@a:5672/v,amqp://g:g@b:5673/v"
    assert s.amqp_queue_type == "quorum" and s.amqp_delivery_limit == 20
    assert vhost_of(s.amqp_url) == "v"


@pytest.mark.unit
async def test_failover_moves_to_the_next_broker() -> None:
    """aio-pika clears the transport at start, before each attempt and on loss: from the
    third clear on, each one moves to the next URL. (Async: the connection is built on the
    running loop; a sync test finds "no current event loop" after some earlier tests.)"""
    connection = amqp.FailoverConnection(["amqp://a/", "amqp://b/", "amqp://c/"], 1, QUORUM)
    assert connection.url.host == "b"
    connection.transport = None  # the first attempt
    assert connection.url.host == "b"
    connection.transport = None  # a retry
    assert connection.url.host == "c"
    connection.transport = None
    assert connection.url.host == "a"
