"""`vigil queues migrate` against the machine's RabbitMQ: classic queues of an earlier
version, with messages in them, become quorum queues holding the same messages, bound as
before, and the components' declarations accept them afterwards."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from shared import amqp, names
from shared.config import Settings
from shared.rabbitmq_admin import RabbitAdmin, vhost_of
from tests.services import create_vhost, delete_vhost, unique

MANAGEMENT = "http://guest:guest@127.0.0.1:15672"
CLASSIC = amqp.QueueOptions("classic", 20)
QUORUM = amqp.QueueOptions("quorum", 20)
MESSAGES = 500


async def _earlier_version(amqp_url: str, cell: str) -> None:
    """The topology as a classic-queue version declared it, with messages waiting."""
    connection = await amqp.connect(amqp_url, CLASSIC)
    try:
        channel = await connection.channel(publisher_confirms=True)
        await amqp.results_queue(channel, cell)
        await amqp.deliveries_queue(channel, cell)
        await amqp.deliveries_wait_queue(channel, cell, 60_000)
        results = await channel.get_exchange(names.RESULTS_EXCHANGE)
        for i in range(MESSAGES):
            await results.publish(amqp.persistent(b"r%d" % i, message_id=f"r{i}"), cell)
        dead = names.dead_letter(names.results_queue(cell))
        await channel.default_exchange.publish(amqp.persistent(b"poison"), dead)
    finally:
        await connection.close()


async def _drain(amqp_url: str, queue: str) -> list[bytes]:
    connection = await amqp.connect(amqp_url, QUORUM)
    try:
        channel = await connection.channel()
        q = await channel.declare_queue(queue, passive=True)
        bodies = []
        while (message := await q.get(fail=False)) is not None:
            bodies.append(message.body)
            await message.ack()
        return bodies
    finally:
        await connection.close()


async def _types(amqp_url: str) -> dict[str, str]:
    async with RabbitAdmin(MANAGEMENT, vhost_of(amqp_url)) as admin:
        return {q["name"]: q["type"] for q in await admin.queue_details()}


def _migrate(amqp_url: str) -> subprocess.CompletedProcess[str]:
    env = {
        "VIGIL_AMQP_URL": amqp_url,
        "VIGIL_RABBITMQ_MANAGEMENT_URL": MANAGEMENT,
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", "queues", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def vhost_url() -> object:
    name, url = create_vhost("vigil-migrate")
    yield url
    delete_vhost(name)


@pytest.mark.integration
def test_classic_queues_become_quorum_with_their_messages(vhost_url: str) -> None:
    cell = unique("m")[:30]
    asyncio.run(_earlier_version(vhost_url, cell))
    done = _migrate(vhost_url)
    assert done.returncode == 0, done.stderr
    types = asyncio.run(_types(vhost_url))
    for queue in (
        names.results_queue(cell),
        names.dead_letter(names.results_queue(cell)),
        names.deliveries_queue(cell),
        names.deliveries_wait_queue(cell, 60_000),
    ):
        assert types[queue] == "quorum", queue
    assert not [q for q in types if q.endswith(".migrating")]
    # Every message is there once, in order, and the queue is bound as before.
    asyncio.run(_publish_after(vhost_url, cell))
    bodies = asyncio.run(_drain(vhost_url, names.results_queue(cell)))
    assert bodies == [b"r%d" % i for i in range(MESSAGES)] + [b"after"]
    assert asyncio.run(_drain(vhost_url, names.dead_letter(names.results_queue(cell)))) == [
        b"poison"
    ]


async def _publish_after(amqp_url: str, cell: str) -> None:
    """A component of this version declares its queues (the quorum ones are accepted as
    they are) and publishes through the old binding."""
    connection = await amqp.connect(amqp_url, QUORUM)
    try:
        channel = await connection.channel(publisher_confirms=True)
        await amqp.results_queue(channel, cell)
        await amqp.deliveries_wait_queue(channel, cell, 60_000)
        results = await channel.get_exchange(names.RESULTS_EXCHANGE)
        await results.publish(amqp.persistent(b"after"), cell)
    finally:
        await connection.close()


@pytest.mark.integration
def test_a_queue_with_consumers_is_left_and_reported(vhost_url: str) -> None:
    cell = unique("busy")[:30]

    async def consumed() -> None:
        connection = await amqp.connect(vhost_url, CLASSIC)
        try:
            channel = await connection.channel()
            queue = await amqp.results_queue(channel, cell)
            await queue.consume(lambda m: m.ack())
            done = await asyncio.to_thread(_migrate, vhost_url)
            assert done.returncode == 1
            assert names.results_queue(cell) in done.stderr and "consumer" in done.stderr
        finally:
            await connection.close()

    asyncio.run(consumed())
    assert asyncio.run(_types(vhost_url))[names.results_queue(cell)] == "classic"


@pytest.mark.unit
def test_arguments_match_what_the_components_declare() -> None:
    from ops.queues import quorum_arguments

    s = Settings.from_env({})
    options = amqp.QueueOptions("quorum", s.amqp_delivery_limit)
    assert quorum_arguments("vigil.results.a", {"x-queue-mode": "lazy"}, options) == {
        "x-queue-type": "quorum",
        "x-delivery-limit": 20,
    }
    assert quorum_arguments("vigil.results.a.dead", {}, options) == {"x-queue-type": "quorum"}


@pytest.mark.unit
def test_region_shovels_may_point_at_several_centre_nodes() -> None:
    from ops.regions import Region, shovels

    region = Region.__new__(Region)
    object.__setattr__(region, "name", "eu")
    object.__setattr__(region, "vhost", "/")
    object.__setattr__(region, "reconnect_delay_s", 5)
    both = shovels(region, "amqp://u:p@c1:5672/v,amqp://u:p@c2:5672/v")
    up = both[names.shovel_name("eu", "up")]["dest-uri"]
    down = both[names.shovel_name("eu", "down")]["src-uri"]
    assert up == down == ["amqp://u:p@c1:5672/v?heartbeat=10", "amqp://u:p@c2:5672/v?heartbeat=10"]
    one = shovels(region, "amqp://u:p@c1:5672/v")[names.shovel_name("eu", "up")]["dest-uri"]
    assert one == "amqp://u:p@c1:5672/v?heartbeat=10"
