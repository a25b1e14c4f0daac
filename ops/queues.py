"""`vigil queues migrate`: move the queues a broker set up by an earlier version holds from
classic to quorum queues, messages and bindings included.

RabbitMQ cannot change a queue's type, so each queue goes through a temporary quorum queue:
the temporary one takes over the bindings (publishers keep publishing, into it), the old
queue's messages are moved across (each acknowledged only after the broker confirmed its
copy), the old queue is deleted and declared again as a quorum queue, and everything moves
back the same way. Run it with the queue's consumers stopped (the cell's scheduler,
processor and notifier; executors may keep publishing): a queue with consumers is left
alone and reported. A message published while both queues are bound for a moment may be
copied twice; consumers drop duplicates already (results by batch id, deliveries by the
ledger), never is one lost.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection

from shared import amqp, names
from shared.config import Settings
from shared.rabbitmq_admin import AdminError, RabbitAdmin, vhost_of

MIGRATING = ".migrating"
CLASSIC_ONLY = ("x-queue-mode", "x-max-priority", "x-queue-master-locator", "x-queue-version")


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    queues = sub.add_parser(
        "queues",
        help="the cell's RabbitMQ queues: `vigil queues migrate` "
        "moves classic queues to quorum queues without losing messages",
    )
    queues.add_argument("action", choices=["migrate"])
    return queues


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        moved, left = asyncio.run(migrate(settings))
    except AdminError as exc:
        print(f"vigil queues: {exc}", file=sys.stderr)
        return 1
    for name in moved:
        print(f"moved to quorum: {name}")
    for name, why in left:
        print(f"left as it is: {name}: {why}", file=sys.stderr)
    return 1 if left else 0


def to_move(queue: dict[str, Any]) -> str | None:
    """Why a queue is not moved (None: move it). Only Vigil's durable classic queues; the
    uplink of a region broker is one node's buffer and stays classic."""
    name = queue["name"]
    if not name.startswith("vigil.") or name == names.REGION_UPLINK or name.endswith(MIGRATING):
        return "not a queue of a cell"
    if (
        queue.get("type", "classic") != "classic"
        or not queue["durable"]
        or queue["exclusive"]
        or queue["auto_delete"]
    ):
        return "not a durable classic queue"
    if queue.get("consumers"):
        return f"{queue['consumers']} consumer(s): stop them first"
    return None


async def migrate(settings: Settings) -> tuple[list[str], list[tuple[str, str]]]:
    options = amqp.QueueOptions("quorum", settings.amqp_delivery_limit)
    moved: list[str] = []
    left: list[tuple[str, str]] = []
    async with RabbitAdmin(settings.rabbitmq_management_url, vhost_of(settings.amqp_url)) as admin:
        connection = await amqp.connect(settings.amqp_url, options)
        try:
            channel: AbstractChannel = await connection.channel(publisher_confirms=True)
            for queue in await admin.queue_details():
                why = to_move(queue) or await _consumed(channel, queue["name"])
                if why is None:
                    channel = await _migrate_one(admin, connection, channel, queue, options)
                    moved.append(queue["name"])
                elif why.endswith("stop them first"):
                    left.append((queue["name"], why))
        finally:
            await connection.close()
    return moved, left


async def _consumed(channel: AbstractChannel, name: str) -> str | None:
    """The management API's consumer count lags by seconds; the broker's own does not."""
    declared = await channel.declare_queue(name, passive=True)
    consumers = declared.declaration_result.consumer_count
    return f"{consumers} consumer(s): stop them first" if consumers else None


def quorum_arguments(
    name: str, arguments: dict[str, Any], options: amqp.QueueOptions
) -> dict[str, Any]:
    """What shared.amqp declares the queue with on quorum queues; the very same arguments,
    or the components' next declaration would be refused."""
    kept = {k: v for k, v in arguments.items() if k not in CLASSIC_ONLY}
    # Dead-letter and delivery wait queues have no consumers to crash: no delivery limit.
    limit = not (name.endswith(".dead") or ".wait." in name)
    return {**kept, **amqp.queue_type_arguments(options, poison_limit=limit)}


async def _migrate_one(
    admin: RabbitAdmin,
    connection: AbstractConnection,
    channel: AbstractChannel,
    queue: dict[str, Any],
    options: amqp.QueueOptions,
) -> AbstractChannel:
    """Returns the channel to go on with (a fresh one of `connection`)."""
    name, temporary = queue["name"], queue["name"] + MIGRATING
    arguments = quorum_arguments(name, queue.get("arguments") or {}, options)
    bindings = await admin.bindings(name)
    await channel.declare_queue(temporary, durable=True, arguments=arguments)
    await _rebind(admin, channel, bindings, name, temporary)
    await _move(channel, name, temporary)
    await admin.delete_queue(name, if_empty=True)
    # A fresh channel: RabbitMQ 3.10's channel keeps the deleted classic queue's state under
    # its name and crashes delivering to the quorum queue declared under it.
    await channel.close()
    channel = await connection.channel(publisher_confirms=True)
    await channel.declare_queue(name, durable=True, arguments=arguments)
    await _rebind(admin, channel, bindings, temporary, name)
    await _move(channel, temporary, name)
    await _delete_emptied(channel, temporary, name)
    return channel


async def _delete_emptied(channel: AbstractChannel, temporary: str, name: str) -> None:
    """Delete the temporary queue once nothing is left in it. Quorum queues refuse the
    broker's if-empty delete and report a lagging message count, so ask for a message: it
    is unbound and unconsumed, nothing arrives after a get finds it empty."""
    await _move(channel, temporary, name)
    await channel.queue_delete(temporary)


async def _rebind(
    admin: RabbitAdmin, channel: AbstractChannel, bindings: list[dict[str, Any]], old: str, new: str
) -> None:
    """Bind `new` as `old` is bound, then unbind `old`: a message is routed to at least one
    of them at every moment."""
    target = await channel.declare_queue(new, passive=True)
    for binding in bindings:
        await target.bind(
            binding["source"], binding["routing_key"], arguments=binding.get("arguments") or None
        )
    for binding in bindings:
        await admin.unbind({**binding, "destination": old})


async def _move(channel: AbstractChannel, source: str, target: str) -> None:
    """Every message of `source` into `target`: acknowledged after the broker confirmed the
    copy, so a crash half-way leaves a message in one queue or in both, never in neither."""
    queue = await channel.declare_queue(source, passive=True)
    while (message := await queue.get(no_ack=False, fail=False)) is not None:
        copy = aio_pika.Message(
            message.body,
            headers=message.headers,
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            timestamp=message.timestamp,
            expiration=message.expiration,
            type=message.type,
            app_id=message.app_id,
            delivery_mode=message.delivery_mode or aio_pika.DeliveryMode.PERSISTENT,
        )
        await channel.default_exchange.publish(copy, routing_key=target)
        await message.ack()
