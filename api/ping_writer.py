"""Pings taken by the API, made durable in groups before any of them is answered.

Every ping waits in one queue; a few writers each take all that is waiting (up to
`MAX_GROUP`), find the tokens in one query, publish the known ones as one `PingBatch` to the
cell's results queue and wait for RabbitMQ's confirm (the broker has written it to disk),
and only then answer them. Under load a group holds hundreds of pings, so one query and one
confirm serve them all; at rest a group is one ping. The processor stores the batch in both
result tables (and acks only after its commit): a ping answered 200 survives a processor
killed right after the answer, and a restart of the API loses only pings not yet answered.

Why through the processor's queue and not a write of our own: a ping must move the test's
state, day counts and incidents exactly as a check's result does, and that path exists once,
in the processor; a confirmed publish of a batch costs the API less than a transaction.

A token not in this cell is looked up in the directory (by its hash): another cell's ping is
sent there with a 307. Unknown and malformed tokens take the same path, so the answer and
its time tell nothing about which it was.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import uuid
from dataclasses import dataclass, field

import aio_pika
import asyncpg
from aio_pika.abc import AbstractChannel, AbstractExchange

from api.broker import ConfirmedPublisher, Unavailable
from shared import amqp, names
from shared.directory import Directory
from shared.messages import Ping, PingBatch
from shared.ping_codec import encode_pings

log = logging.getLogger(__name__)

MAX_GROUP = 2000
LINGER_S = 0.001  # a group waits this long for more: bigger groups, fewer queries and publishes
WRITERS = 2  # groups in flight at once: one looks its tokens up while the other awaits a confirm
# What may be one of our tokens; anything else is looked up as "" (found never, by the same
# query: a NUL or a megabyte would be an error, or a slower answer, that tells them apart).
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_LOOKUP = "SELECT token, test_id FROM heartbeats WHERE token = any($1::text[])"


def token_hash(token: str) -> str:
    """How the directory knows a ping token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Answer:
    """What the endpoint answers: 200, 307 (to `location`), 404 or 503."""

    status: int
    location: str = ""


OK, MISSING, UNAVAILABLE = Answer(200), Answer(404), Answer(503)


@dataclass
class Taken:
    """A ping as the endpoint took it, waiting for its answer."""

    token: str
    ping: Ping  # test_id 0 until the token is found
    path: str  # the path and query it came with, for a redirect
    answer: asyncio.Future[Answer] = field(default_factory=asyncio.Future)


class PingWriter:
    def __init__(
        self, database_url: str, amqp_url: str, cell: str, node: str, directory: Directory | None
    ) -> None:
        self.database_url = database_url
        self.cell = cell
        self.node = node
        self.directory = directory
        self.publisher = ConfirmedPublisher(amqp_url, cell, self._declare)
        # A list and an event, not an asyncio.Queue: a ping costs one append, not a queue's
        # Python-level bookkeeping twice over.
        self.waiting: list[Taken] = []
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def _declare(self, channel: AbstractChannel) -> AbstractExchange:
        await amqp.results_queue(channel, self.cell)  # the processor's queue
        return await amqp.up_exchange(channel)

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._write_forever()) for _ in range(WRITERS)]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.publisher.close()

    async def take(self, taken: Taken) -> Answer:
        """Queue a ping; its answer once it is durable (or refused)."""
        self.waiting.append(taken)
        self._wake.set()
        return await taken.answer

    async def _write_forever(self) -> None:
        # A connection of its own, not a pool's: a pool resets a connection (one more round
        # trip) each time it is given back, once per group.
        conn: asyncpg.Connection | None = None
        try:
            while True:
                await self._wake.wait()
                await asyncio.sleep(LINGER_S)  # let the requests read meanwhile join the group
                group, self.waiting = self.waiting[:MAX_GROUP], self.waiting[MAX_GROUP:]
                if not self.waiting:
                    self._wake.clear()
                try:
                    conn = (
                        conn
                        if conn is not None and not conn.is_closed()
                        else await asyncpg.connect(self.database_url)
                    )
                    await self._write(conn, group)
                except (asyncpg.PostgresError, OSError) as exc:
                    log.warning("ping tokens not looked up", extra={"error": str(exc)})
                    conn = None
                    _answer(group, UNAVAILABLE)
                except Exception:  # a bug must not leave callers waiting forever
                    log.exception("pings not written")
                    _answer(group, UNAVAILABLE)
        finally:
            if conn is not None:
                conn.terminate()

    async def _write(self, conn: asyncpg.Connection, group: list[Taken]) -> None:
        found = await _find(conn, [t.token for t in group])
        known = [t for t in group if t.token in found]
        unknown = [t for t in group if t.token not in found]
        if known:
            await self._publish(known, found)
        if unknown:
            await self._elsewhere(unknown)

    async def _publish(self, known: list[Taken], found: dict[str, int]) -> None:
        pings = [_with_test(t.ping, found[t.token]) for t in known]
        body = encode_pings(PingBatch(uuid.uuid4().bytes, self.cell, self.node, pings))
        message = aio_pika.Message(
            body,
            content_type="application/msgpack",
            content_encoding="zstd",
            type=names.PING_BATCH_TYPE,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        try:
            await self.publisher.publish(message)
        except Unavailable:
            _answer(known, UNAVAILABLE)
            return
        _answer(known, OK)

    async def _elsewhere(self, unknown: list[Taken]) -> None:
        """Another cell's pings get a 307 there; the rest a 404."""
        if self.directory is None:
            _answer(unknown, MISSING)
            return
        tokens = sorted({t.token for t in unknown})
        try:
            cells = await asyncio.gather(
                *(self.directory.cell_for_ping_token(token_hash(t)) for t in tokens)
            )
        except Exception as exc:  # the directory away: the job retries (curl --retry)
            log.warning("ping tokens not looked up in the directory", extra={"error": str(exc)})
            _answer(unknown, UNAVAILABLE)
            return
        where = dict(zip(tokens, cells, strict=True))
        for t in unknown:
            cell = where[t.token]
            if cell is None or cell.name == self.cell:
                t.answer.set_result(MISSING)
            else:
                t.answer.set_result(Answer(307, cell.ping_base + t.path))


async def _find(conn: asyncpg.Connection, tokens: list[str]) -> dict[str, int]:
    keys = sorted({t if _TOKEN.match(t) else "" for t in tokens})
    return {r["token"]: r["test_id"] for r in await conn.fetch(_LOOKUP, keys)}


def _with_test(ping: Ping, test_id: int) -> Ping:
    return Ping(
        test_id,
        ping.at_ms,
        ping.kind,
        ping.exit_status,
        ping.rid,
        ping.method,
        ping.source,
        ping.user_agent,
        ping.body,
    )


def _answer(group: list[Taken], answer: Answer) -> None:
    for t in group:
        if not t.answer.done():
            t.answer.set_result(answer)
