"""RabbitMQ connections and the topology every component declares the same way."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aio_pika
import aiormq
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from aio_pika.robust_connection import RobustConnection
from pamqp.commands import Basic
from yarl import URL

from shared import names
from shared.codec import DecodeError
from shared.config import broker_urls

log = logging.getLogger(__name__)
T = TypeVar("T")

NODE_QUEUE_EXPIRES_MS = 7 * 86400 * 1000
HEARTBEAT_TTL_MS = 60_000
CONFIRM_TIMEOUT_S = 15.0  # a publish unconfirmed this long: its broker is given up for the next
RESTORE_TIMEOUT_S = 30.0  # redeclaring channels, queues and consumers on a broker reached anew
RECONNECT_INTERVAL_S = 1.0


@dataclass(frozen=True)
class QueueOptions:
    """How the queues that hold work or results are declared (VIGIL_AMQP_QUEUE_TYPE,
    VIGIL_AMQP_DELIVERY_LIMIT)."""

    queue_type: str = "quorum"
    delivery_limit: int = 20

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> QueueOptions:
        from shared.config import Settings  # the whole table, so bad values fail the same way

        settings = Settings.from_env(os.environ if env is None else env)
        return cls(settings.amqp_queue_type, settings.amqp_delivery_limit)


class FailoverConnection(RobustConnection):
    """A robust connection over several brokers of one cluster: every reconnection attempt
    goes to the next URL, so a dead node is left for a live one. aio-pika re-declares the
    exchanges, queues and consumers of its robust channels on the new node."""

    def __init__(
        self,
        urls: list[str],
        start: int,
        options: QueueOptions,
        restore_timeout: float = RESTORE_TIMEOUT_S,
        **kwargs: Any,
    ) -> None:
        self._urls = [URL(u) for u in urls]
        self._at = start % len(self._urls)
        self.vigil_queue_options = options
        self.restore_timeout = restore_timeout
        kwargs.setdefault("reconnect_interval", RECONNECT_INTERVAL_S)
        super().__init__(self._urls[self._at], **kwargs)

    async def _on_connected(self) -> None:
        """Restore the robust channels on the broker just reached, within restore_timeout:
        a declaration the broker never answers (a node half up, a quorum queue without its
        leader) would otherwise hold the reconnection loop for ever, and with it every
        publish. Past it the connection is dropped and the next broker tried."""
        try:
            await asyncio.wait_for(super()._on_connected(), self.restore_timeout)
        except TimeoutError:
            log.warning(
                "restore timed out, trying the next broker",
                extra={"broker": _safe(self.url), "timeout_s": self.restore_timeout},
            )
            self.fail_over()
            raise ConnectionError(f"restore on {_safe(self.url)} timed out") from None

    def fail_over(self) -> None:
        """Give up the current broker: close its transport; the reconnection loop moves on to
        the next URL and restores every robust channel there (a closed connection is left
        alone)."""
        transport = self.transport
        if transport is None or self.is_closed or self._close_called:
            return
        if not transport.connection.is_closed:
            asyncio.get_running_loop().create_task(
                transport.connection.close(ConnectionError("failing over"))
            )

    @property
    def url(self) -> URL:
        return self._urls[self._at]

    @url.setter
    def url(self, value: URL) -> None:  # aio-pika sets it once, and on update_secret
        self._urls[self._at] = value

    @property
    def brokers(self) -> int:
        return len(self._urls)

    @property
    def transport(self) -> Any:
        return self.__dict__.get("_transport")

    @transport.setter
    def transport(self, value: Any) -> None:
        # aio-pika clears the transport when the connection is lost and before every
        # attempt: the moment to move on to the next broker (not at __init__, nor before the
        # first attempt, which goes to the broker chosen by `start`).
        if value is None:
            self.__dict__["_clears"] = self.__dict__.get("_clears", 0) + 1
            if self.__dict__["_clears"] > 2:
                self._at = (self._at + 1) % len(self._urls)
        self.__dict__["_transport"] = value


def _safe(url: URL) -> str:
    return str(url.with_password(None).with_user(None))


async def connect(
    url: str, options: QueueOptions | None = None, timeout: float = 10.0
) -> AbstractRobustConnection:
    """A connection that reconnects by itself and restores its consumers. `url` may name
    several brokers (comma-separated): the first that answers is used, and a lost one is
    replaced by another on reconnection."""
    urls = broker_urls(url)
    options = options or QueueOptions.from_env()
    error: BaseException | None = None
    for start in range(len(urls)):
        connection = FailoverConnection(
            urls, start, options, client_properties={"connection_name": "vigil"}
        )
        try:
            await connection.connect(timeout=timeout)
            return connection
        except (ConnectionError, OSError, aiormq.exceptions.AMQPError, TimeoutError) as exc:
            error = exc
            log.warning(
                "broker unreachable, trying the next", extra={"broker": _safe(URL(urls[start]))}
            )
            await connection.close()
    assert error is not None
    raise error


def queue_options(channel: AbstractChannel) -> QueueOptions:
    connection = getattr(channel, "_connection", None)
    options = getattr(connection, "vigil_queue_options", None)
    return options if isinstance(options, QueueOptions) else QueueOptions.from_env()


def queue_type_arguments(options: QueueOptions, poison_limit: bool = True) -> dict[str, Any]:
    """The arguments that make a queue a quorum queue: replicated on a majority of the
    cluster's nodes, and a message delivered `delivery_limit` times (a consumer crashing on
    it each time) is dead-lettered instead of looping for ever."""
    if options.queue_type != "quorum":
        return {}
    arguments: dict[str, Any] = {"x-queue-type": "quorum"}
    if poison_limit:
        arguments["x-delivery-limit"] = options.delivery_limit
    return arguments


async def _declare_typed(
    channel: AbstractChannel, queue: str, arguments: dict[str, Any], poison_limit: bool = True
) -> AbstractQueue:
    """Declare `queue` with the configured type. A classic queue left by an earlier version
    keeps working as it is (declared with its old arguments, a warning logged) until an
    operator moves it with `vigil queues migrate`: the broker refuses to change a queue's
    type, and refusing to start would stop the cell."""
    typed = {**arguments, **queue_type_arguments(queue_options(channel), poison_limit)}
    if typed != arguments and not await _accepts(channel, queue, typed):
        log.warning("classic queue kept; run `vigil queues migrate`", extra={"queue": queue})
        typed = arguments
    return await channel.declare_queue(queue, durable=True, arguments=typed)


async def _accepts(channel: AbstractChannel, queue: str, arguments: dict[str, Any]) -> bool:
    """Whether the broker takes this declaration; tried on a throwaway channel, because a
    refused declaration closes the channel it was made on."""
    connection = getattr(channel, "_connection", None)
    transport = getattr(connection, "transport", None)
    if transport is None:
        return True
    probe = await transport.connection.channel()
    try:
        await probe.queue_declare(queue, durable=True, arguments=arguments)
    except aiormq.exceptions.ChannelPreconditionFailed:
        return False
    await probe.close()
    return True


async def durable_queue(
    channel: AbstractChannel,
    queue: str,
    exchange: str,
    key: str,
    exchange_type: str = "direct",
    arguments: dict[str, Any] | None = None,
) -> AbstractQueue:
    """Declare `queue` bound to `exchange`, with its dead-letter queue beside it."""
    ex = await channel.declare_exchange(exchange, exchange_type, durable=True)
    dlx = await channel.declare_exchange(names.DEAD_LETTER_EXCHANGE, "direct", durable=True)
    dead = await _declare_typed(channel, names.dead_letter(queue), {}, poison_limit=False)
    await dead.bind(dlx, names.dead_letter(queue))
    q = await _declare_typed(
        channel,
        queue,
        {
            "x-dead-letter-exchange": names.DEAD_LETTER_EXCHANGE,
            "x-dead-letter-routing-key": names.dead_letter(queue),
            **(arguments or {}),
        },
    )
    await q.bind(ex, key)
    return q


async def up_exchange(channel: AbstractChannel) -> AbstractExchange:
    """Where executors send everything bound for the cells (see names.UP_EXCHANGE)."""
    return await channel.declare_exchange(names.UP_EXCHANGE, "topic", durable=True)


async def results_queue(channel: AbstractChannel, cell: str) -> AbstractQueue:
    q = await durable_queue(channel, names.results_queue(cell), names.RESULTS_EXCHANGE, cell)
    await q.bind(await up_exchange(channel), cell)
    return q


async def node_assignments_queue(channel: AbstractChannel, region: str, node: str) -> AbstractQueue:
    """One executor node's assignments (and check-now requests), on its own broker. A node
    gone for good leaves no queue behind: it expires after NODE_QUEUE_EXPIRES_MS unused."""
    q = await durable_queue(
        channel,
        names.node_assignments_queue(region, node),
        names.ASSIGNMENTS_EXCHANGE,
        names.assignments_key(region, node),
        exchange_type="topic",
        arguments={"x-expires": NODE_QUEUE_EXPIRES_MS},
    )
    await q.bind(names.ASSIGNMENTS_EXCHANGE, names.node_check_now_key(region, node))
    return q


async def check_now_queue(channel: AbstractChannel, cell: str) -> AbstractQueue:
    """A cell's scheduler hears its nodes asking for confirmation from other regions; a
    request older than CHECK_NOW_TTL_MS is dropped."""
    await up_exchange(channel)
    return await durable_queue(
        channel,
        names.check_now_queue(cell),
        names.UP_EXCHANGE,
        names.check_now_key(cell),
        exchange_type="topic",
        arguments={"x-message-ttl": names.CHECK_NOW_TTL_MS},
    )


async def region_assignments_queue(channel: AbstractChannel, region: str) -> AbstractQueue:
    """At the centre: every node's assignments of a remote region, for its down shovel."""
    return await durable_queue(
        channel,
        names.assignments_queue(region),
        names.ASSIGNMENTS_EXCHANGE,
        names.region_assignments_pattern(region),
        exchange_type="topic",
    )


async def resync_queue(channel: AbstractChannel, cell: str) -> AbstractQueue:
    """A cell's scheduler hears resync requests addressed to it and to every cell."""
    q = await durable_queue(
        channel, names.resync_queue(cell), names.RESYNC_EXCHANGE, cell, exchange_type="topic"
    )
    await q.bind(names.RESYNC_EXCHANGE, names.RESYNC_ALL)
    up = await up_exchange(channel)
    await q.bind(up, names.resync_key(cell))
    await q.bind(up, names.resync_key(names.RESYNC_ALL))
    return q


async def deliveries_queue(channel: AbstractChannel, cell: str) -> AbstractQueue:
    return await durable_queue(
        channel, names.deliveries_queue(cell), names.DELIVERIES_EXCHANGE, cell
    )


async def deliveries_wait_queue(
    channel: AbstractChannel, cell: str, delay_ms: int
) -> AbstractQueue:
    """A queue nobody consumes: its messages expire after `delay_ms` and are dead-lettered
    back to the cell's deliveries queue. A queue-wide TTL (not a per-message one) because
    RabbitMQ expires messages only at the head of a queue: one long wait would hold back
    every shorter one queued behind it."""
    await channel.declare_exchange(names.DELIVERIES_EXCHANGE, "direct", durable=True)
    return await _declare_typed(
        channel,
        names.deliveries_wait_queue(cell, delay_ms),
        {
            "x-message-ttl": delay_ms,
            "x-dead-letter-exchange": names.DELIVERIES_EXCHANGE,
            "x-dead-letter-routing-key": cell,
        },
        poison_limit=False,
    )


async def heartbeats_queue(channel: AbstractChannel, cell: str) -> AbstractQueue:
    """A cell's scheduler hears every node's heartbeats; old ones are worth nothing."""
    await up_exchange(channel)
    return await durable_queue(
        channel,
        names.heartbeats_queue(cell),
        names.UP_EXCHANGE,
        names.HEARTBEAT_PATTERN,
        exchange_type="topic",
        arguments={"x-message-ttl": HEARTBEAT_TTL_MS},
    )


async def notifications_queue(channel: AbstractChannel, cell: str) -> AbstractQueue:
    """The incident and certificate events of one cell, for its notifiers' fan-out."""
    first, *more = names.notifications_bindings(cell)
    q = await durable_queue(
        channel,
        names.notifications_queue(cell),
        names.EVENTS_EXCHANGE,
        first,
        exchange_type="topic",
    )
    for key in more:
        await q.bind(names.EVENTS_EXCHANGE, key)
    return q


async def publish_confirmed(
    exchange: AbstractExchange,
    message: aio_pika.Message,
    routing_key: str,
    *,
    mandatory: bool = True,
    timeout: float = CONFIRM_TIMEOUT_S,
) -> None:
    """Publish on a channel with publisher confirms and return once the broker confirmed.
    A confirm not come within `timeout` raises TimeoutError, and the connection (when it is a
    FailoverConnection) leaves that broker for the next: the caller publishes the same
    message again, which may then be stored twice by the broker; its id lets the consumer
    store it once. Never waits for ever."""
    try:
        await asyncio.wait_for(
            exchange.publish(message, routing_key=routing_key, mandatory=mandatory), timeout
        )
    except (TimeoutError, aio_pika.exceptions.DeliveryError) as exc:
        # Unconfirmed, or refused (nack): a quorum queue whose leader died nacks what the
        # channel publishes from then on; a channel on another node is not so stuck. A
        # returned message (unroutable) is no broker's fault, and with one broker there is
        # nowhere to go: a full queue's nack (reject-publish) is then plain back-pressure.
        connection = getattr(getattr(exchange, "channel", None), "_connection", None)
        if isinstance(connection, FailoverConnection) and _leave_for(exc, connection):
            log.warning(
                "publish %s, failing over",
                "unconfirmed" if isinstance(exc, TimeoutError) else "refused",
                extra={"broker": _safe(connection.url), "timeout_s": timeout},
            )
            connection.fail_over()
        raise


def _leave_for(exc: Exception, connection: FailoverConnection) -> bool:
    if isinstance(exc, TimeoutError):
        return True
    frame = getattr(exc, "frame", None)
    return isinstance(frame, Basic.Nack) and connection.brokers > 1


def persistent(
    body: bytes,
    content_type: str = "application/msgpack",
    encoding: str | None = None,
    message_id: str | None = None,
) -> aio_pika.Message:
    return aio_pika.Message(
        body,
        content_type=content_type,
        content_encoding=encoding,
        message_id=message_id,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


async def decode_or_dead_letter(
    message: AbstractIncomingMessage, decode: Callable[[bytes], T], what: str
) -> T | None:
    """Decode a message; garbage is dead-lettered and logged, never a crash loop."""
    try:
        return decode(message.body)
    except DecodeError as exc:
        log.error("malformed message dead-lettered", extra={"what": what, "error": str(exc)})
        await message.reject(requeue=False)
        return None
