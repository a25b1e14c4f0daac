"""The scheduler against the real PostgreSQL and RabbitMQ."""

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator

import aio_pika
import asyncpg
import pytest
from aio_pika.abc import AbstractQueue

from scheduler.service import serve
from shared import amqp, names
from shared.codec import (
    decode_assignment,
    decode_check_now,
    encode_check_now,
    encode_heartbeat,
    encode_resync,
)
from shared.config import Settings
from shared.messages import Assignment, CheckNow, Heartbeat, ResyncRequest
from tests.helpers import short_name

pytestmark = pytest.mark.integration


async def _insert_test(conn: asyncpg.Connection, region: str, url: str) -> int:
    account = await conn.fetchval(
        "INSERT INTO accounts (email, password_hash) VALUES ($1, 'x') RETURNING id",
        f"{short_name('u')}@example.com",
    )
    monitor = await conn.fetchval(
        "INSERT INTO monitors (account_id, name) VALUES ($1, 'm') RETURNING id", account
    )
    return await conn.fetchval(
        "INSERT INTO tests (monitor_id, account_id, kind, region, interval_s, timeout_s, config)"
        " VALUES ($1, $2, 'http', $3, 60, 5, $4::jsonb) RETURNING id",
        monitor,
        account,
        region,
        json.dumps({"url": url}),
    )


async def _beat(channel, region: str, node: str) -> None:
    up = await amqp.up_exchange(channel)
    beat = Heartbeat(region, node, "t", int(time.time() * 1000), 0.2, 0.1, 0, 0, None)
    await up.publish(
        aio_pika.Message(encode_heartbeat(beat)), routing_key=names.heartbeat_key(region, node)
    )


@contextlib.asynccontextmanager
async def _beating(channel, region: str, nodes: set[str]) -> AsyncIterator[set[str]]:
    """Heartbeats for `nodes` (a set the test may change) every 0.2 s, as executors would."""

    async def beat() -> None:
        while True:
            for node in sorted(nodes):
                await _beat(channel, region, node)
            await asyncio.sleep(0.2)

    task = asyncio.create_task(beat())
    try:
        yield nodes
    finally:
        task.cancel()


async def _next(queue: AbstractQueue, timeout: float = 15) -> Assignment:
    async with queue.iterator(timeout=timeout) as it:
        async for message in it:
            await message.ack()
            return decode_assignment(message.body)
    raise AssertionError("no assignment message arrived")


@pytest.fixture
async def region_env(database_url: str, amqp_url: str) -> AsyncIterator[tuple]:
    region = short_name("r")
    conn = await asyncpg.connect(database_url)
    broker = await aio_pika.connect(amqp_url)
    channel = await broker.channel()
    queue = await amqp.node_assignments_queue(channel, region, "n1")
    yield region, conn, channel, queue
    await queue.delete(if_unused=False, if_empty=False)
    await broker.close()
    await conn.close()


async def test_full_set_at_start_then_deltas_then_resync(
    region_env, database_url, amqp_url
) -> None:
    region, conn, channel, queue = region_env
    first = await _insert_test(conn, region, "http://127.0.0.1:1/a")
    cell = short_name("c")
    settings = Settings.from_env(
        {
            "VIGIL_DATABASE_URL": database_url,
            "VIGIL_AMQP_URL": amqp_url,
            "VIGIL_CELL": cell,
            "VIGIL_SCHEDULER_POLL": "0.1",
        }
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop))
    try:
        async with _beating(channel, region, {"n1"}):
            start = await _next(queue)
            assert start.full and [s.id for s in start.upserts] == [first] and start.cell == cell
            assert start.node == "n1"

            second = await _insert_test(conn, region, "http://127.0.0.1:1/b")
            added = await _next(queue)
            assert (added.full, added.seq, [s.id for s in added.upserts]) == (False, 2, [second])

            await conn.execute(
                "UPDATE tests SET version = version + 1, interval_s = 30 WHERE id = $1", first
            )
            changed = await _next(queue)
            assert [(s.id, s.interval_s) for s in changed.upserts] == [(first, 30)]

            await conn.execute("DELETE FROM tests WHERE id = $1", second)
            removed = await _next(queue)
            assert (removed.upserts, removed.removals, removed.seq) == ([], [second], 4)

            resync = await channel.declare_exchange(names.RESYNC_EXCHANGE, "topic", durable=True)
            await resync.publish(
                amqp.persistent(encode_resync(ResyncRequest(cell, region, "n1", "test"))),
                routing_key=cell,
            )
            full = await _next(queue)
            assert full.full and [s.id for s in full.upserts] == [first]
            assert full.generation == start.generation and full.seq == 5

            await resync.publish(amqp.persistent(b"garbage"), routing_key=cell)
            await resync.publish(
                amqp.persistent(encode_resync(ResyncRequest(cell, region, "n1", "after garbage"))),
                routing_key=cell,
            )
            assert (await _next(queue)).full  # the garbage did not stop it
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


class _Nodes:
    """What each node holds, as it would after applying its messages in order."""

    def __init__(self, queues: dict[str, AbstractQueue]) -> None:
        self.queues = queues
        self.held: dict[str, set[int]] = {node: set() for node in queues}

    async def until(self, done, what: str, timeout: float = 30) -> dict[str, set[int]]:
        deadline = time.monotonic() + timeout
        while not done(self.held):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}: {self.held}")
            for node, queue in self.queues.items():
                message = await queue.get(no_ack=True, fail=False)
                if message is not None:
                    self._apply(node, decode_assignment(message.body))
            await asyncio.sleep(0.05)
        return self.held

    def _apply(self, node: str, msg: Assignment) -> None:
        held = self.held[node]
        self.held[node] = (
            {s.id for s in msg.upserts}
            if msg.full
            else (held | {s.id for s in msg.upserts}) - set(msg.removals)
        )


async def test_a_silent_node_loses_its_tests_to_the_live_ones_and_gets_them_back(
    database_url: str, amqp_url: str
) -> None:
    region, cell = short_name("r"), short_name("c")
    conn = await asyncpg.connect(database_url)
    broker = await aio_pika.connect(amqp_url)
    channel = await broker.channel()
    q1 = await amqp.node_assignments_queue(channel, region, "n1")
    q2 = await amqp.node_assignments_queue(channel, region, "n2")
    ids = {await _insert_test(conn, region, f"http://127.0.0.1:1/{i}") for i in range(12)}
    settings = Settings.from_env(
        {
            "VIGIL_DATABASE_URL": database_url,
            "VIGIL_AMQP_URL": amqp_url,
            "VIGIL_CELL": cell,
            "VIGIL_SCHEDULER_POLL": "0.1",
            "VIGIL_HEARTBEAT_INTERVAL": "0.2",
            "VIGIL_NODE_DEAD_AFTER": "1",
        }
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop))
    try:
        async with _beating(channel, region, {"n1", "n2"}) as beating:
            nodes = _Nodes({"n1": q1, "n2": q2})
            shared = await nodes.until(
                lambda h: (
                    h["n1"] and h["n2"] and not h["n1"] & h["n2"] and h["n1"] | h["n2"] == ids
                ),
                "the tests shared, each once",
            )
            h1 = set(shared["n1"])

            beating.discard("n1")  # n1 goes silent: its tests move to n2, it is told to drop
            await nodes.until(lambda h: h["n2"] == ids and not h["n1"], "n1's tests on n2")

            beating.add("n1")  # back: it gets its share again, the same share
            await nodes.until(lambda h: h["n1"] == h1 and h["n2"] == ids - h1, "n1's share back")
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        for q in (q1, q2):
            await q.delete(if_unused=False, if_empty=False)
        await broker.close()
        await conn.close()


async def test_a_test_in_two_regions_runs_on_one_live_node_of_each(
    database_url: str, amqp_url: str
) -> None:
    eu, us, cell = short_name("r"), short_name("r"), short_name("c")
    conn = await asyncpg.connect(database_url)
    broker = await aio_pika.connect(amqp_url)
    channel = await broker.channel()
    queues = {
        "n1": await amqp.node_assignments_queue(channel, eu, "n1"),
        "n2": await amqp.node_assignments_queue(channel, eu, "n2"),
        "m1": await amqp.node_assignments_queue(channel, us, "m1"),
    }
    ids = {await _insert_test(conn, eu, f"http://127.0.0.1:1/{i}") for i in range(6)}
    await conn.execute(
        "UPDATE tests SET regions = ARRAY[$1, $2] WHERE id = any($3::bigint[])", eu, us, list(ids)
    )
    settings = Settings.from_env(
        {
            "VIGIL_DATABASE_URL": database_url,
            "VIGIL_AMQP_URL": amqp_url,
            "VIGIL_CELL": cell,
            "VIGIL_SCHEDULER_POLL": "0.1",
        }
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop))
    try:
        async with _beating(channel, eu, {"n1", "n2"}), _beating(channel, us, {"m1"}):
            nodes = _Nodes(queues)
            await nodes.until(
                lambda h: h["m1"] == ids and not h["n1"] & h["n2"] and h["n1"] | h["n2"] == ids,
                "each test once in each region",
            )
            # One region dropped: its nodes let the tests go, the other keeps them.
            await conn.execute(
                "UPDATE tests SET regions = ARRAY[$1], version = version + 1 "
                "WHERE id = any($2::bigint[])",
                us,
                list(ids),
            )
            await nodes.until(
                lambda h: h["m1"] == ids and not h["n1"] | h["n2"],
                "the tests gone from the dropped region",
            )
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        for q in queues.values():
            await q.delete(if_unused=False, if_empty=False)
        await broker.close()
        await conn.close()


async def test_the_regions_of_a_test_travel_with_it(region_env, database_url, amqp_url) -> None:
    region, conn, channel, queue = region_env
    other = short_name("r")
    test_id = await _insert_test(conn, region, "http://127.0.0.1:1/x")
    await conn.execute(
        "UPDATE tests SET regions = ARRAY[$1, $2] WHERE id = $3", region, other, test_id
    )
    settings = Settings.from_env(
        {
            "VIGIL_DATABASE_URL": database_url,
            "VIGIL_AMQP_URL": amqp_url,
            "VIGIL_CELL": short_name("c"),
            "VIGIL_SCHEDULER_POLL": "0.1",
        }
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop))
    try:
        async with _beating(channel, region, {"n1"}):
            start = await _next(queue)
            [spec] = [s for s in start.upserts if s.id == test_id]
            assert (spec.region, spec.regions) == (region, (region, other))
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def test_a_check_now_is_forwarded_to_the_holder_in_the_other_region(
    database_url: str, amqp_url: str
) -> None:
    eu, us, cell = short_name("r"), short_name("r"), short_name("c")
    conn = await asyncpg.connect(database_url)
    broker = await aio_pika.connect(amqp_url)
    channel = await broker.channel()
    q_eu = await amqp.node_assignments_queue(channel, eu, "n1")
    q_us = await amqp.node_assignments_queue(channel, us, "m1")
    test_id = await _insert_test(conn, eu, "http://127.0.0.1:1/now")
    await conn.execute("UPDATE tests SET regions = ARRAY[$1, $2] WHERE id = $3", eu, us, test_id)
    settings = Settings.from_env(
        {
            "VIGIL_DATABASE_URL": database_url,
            "VIGIL_AMQP_URL": amqp_url,
            "VIGIL_CELL": cell,
            "VIGIL_SCHEDULER_POLL": "0.1",
        }
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop))
    try:
        async with _beating(channel, eu, {"n1"}), _beating(channel, us, {"m1"}):
            nodes = _Nodes({"n1": q_eu, "m1": q_us})
            await nodes.until(
                lambda h: test_id in h["n1"] and test_id in h["m1"], "the test in both regions"
            )
            up = await amqp.up_exchange(channel)
            await up.publish(aio_pika.Message(b"garbage"), routing_key=names.check_now_key(cell))
            request = CheckNow(cell, test_id, eu, "n1", int(time.time() * 1000))
            await up.publish(
                aio_pika.Message(encode_check_now(request)), routing_key=names.check_now_key(cell)
            )
            async with q_us.iterator(timeout=15) as it:
                async for message in it:
                    await message.ack()
                    if message.type == names.CHECK_NOW_TYPE:
                        assert decode_check_now(message.body) == request
                        break
            # The asking region is not asked (assignments may still reach it: a slow
            # machine can make the scheduler send a region its set again).
            while (left := await q_eu.get(fail=False)) is not None:
                await left.ack()
                assert left.type != names.CHECK_NOW_TYPE
            dead = await channel.declare_queue(
                names.dead_letter(names.check_now_queue(cell)), passive=True
            )
            assert dead.declaration_result.message_count == 1  # the garbage, set aside
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        for q in (q_eu, q_us):
            await q.delete(if_unused=False, if_empty=False)
        await broker.close()
        await conn.close()


def _settings(database_url: str, amqp_url: str, **more: str) -> Settings:
    return Settings.from_env(
        {
            "VIGIL_DATABASE_URL": database_url,
            "VIGIL_AMQP_URL": amqp_url,
            "VIGIL_CELL": short_name("c"),
            "VIGIL_SCHEDULER_POLL": "0.1",
            **more,
        }
    )


@contextlib.asynccontextmanager
async def _scheduler(settings: Settings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


def _seen(message: Assignment) -> tuple[bool, list[tuple[int, int]], list[int]]:
    return message.full, [(s.id, s.interval_s) for s in message.upserts], message.removals


async def test_every_kind_of_write_reaches_the_node_as_a_delta(
    region_env, database_url, amqp_url
) -> None:
    region, conn, channel, queue = region_env
    first = await _insert_test(conn, region, "http://127.0.0.1:1/a")
    async with _scheduler(_settings(database_url, amqp_url)), _beating(channel, region, {"n1"}):
        assert _seen(await _next(queue)) == (True, [(first, 60)], [])
        second = await _insert_test(conn, region, "http://127.0.0.1:1/b")
        assert _seen(await _next(queue)) == (False, [(second, 60)], [])
        # A direct UPDATE that leaves `version` alone still counts.
        await conn.execute("UPDATE tests SET interval_s = 30 WHERE id = $1", first)
        assert _seen(await _next(queue)) == (False, [(first, 30)], [])
        await conn.execute("UPDATE tests SET enabled = false WHERE id = $1", first)
        assert _seen(await _next(queue)) == (False, [], [first])
        await conn.execute("UPDATE tests SET enabled = true WHERE id = $1", first)
        assert _seen(await _next(queue)) == (False, [(first, 30)], [])
        await conn.execute("DELETE FROM tests WHERE id = $1", second)
        last = await _next(queue)
        assert (_seen(last), last.seq) == ((False, [], [second]), 6)


async def test_a_change_committed_after_a_later_one_still_reaches_the_node(
    region_env, database_url, amqp_url
) -> None:
    region, conn, channel, queue = region_env
    first = await _insert_test(conn, region, "http://127.0.0.1:1/a")
    second = await _insert_test(conn, region, "http://127.0.0.1:1/b")
    slow = await asyncpg.connect(database_url)
    try:
        async with _scheduler(_settings(database_url, amqp_url)), _beating(channel, region, {"n1"}):
            assert (await _next(queue)).full
            open_tx = slow.transaction()
            await open_tx.start()  # takes its transaction id first ...
            await slow.execute("UPDATE tests SET interval_s = 30 WHERE id = $1", first)
            await conn.execute("UPDATE tests SET interval_s = 45 WHERE id = $1", second)
            assert _seen(await _next(queue)) == (False, [(second, 45)], [])  # ... commits last
            await open_tx.commit()
            assert _seen(await _next(queue)) == (False, [(first, 30)], [])
    finally:
        await slow.close()


async def test_rows_that_cannot_be_sent_do_not_stop_the_scheduler(
    region_env, database_url, amqp_url
) -> None:
    region, conn, channel, queue = region_env
    good = await _insert_test(conn, region, "http://127.0.0.1:1/a")
    listed = await _insert_test(conn, region, "http://127.0.0.1:1/b")
    await conn.execute("UPDATE tests SET config = '[1, 2]' WHERE id = $1", listed)
    async with _scheduler(_settings(database_url, amqp_url)), _beating(channel, region, {"n1"}):
        assert _seen(await _next(queue)) == (True, [(good, 60)], [])
        async with conn.transaction():
            wide = await _insert_test(conn, region, "http://127.0.0.1:1/c")
            await conn.execute(
                "UPDATE tests SET config = '{\"n\": 100000000000000000000000}' WHERE id = $1", wide
            )  # wider than the wire's integers
        later = await _insert_test(conn, region, "http://127.0.0.1:1/d")
        assert _seen(await _next(queue)) == (False, [(later, 60)], [])
        await conn.execute(
            'UPDATE tests SET config = \'{"url": "http://127.0.0.1:1/b"}\' WHERE id = $1', listed
        )
        assert _seen(await _next(queue)) == (False, [(listed, 60)], [])


async def test_a_write_behind_the_triggers_back_is_caught_by_a_full_read(
    region_env, database_url, amqp_url
) -> None:
    region, conn, channel, queue = region_env
    first = await _insert_test(conn, region, "http://127.0.0.1:1/a")
    settings = _settings(database_url, amqp_url, VIGIL_SCHEDULER_FULL_READ="1")
    async with _scheduler(settings), _beating(channel, region, {"n1"}):
        assert (await _next(queue)).full
        async with conn.transaction():  # as a restore or a replica would: no trigger fires
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("UPDATE tests SET interval_s = 90 WHERE id = $1", first)
        assert _seen(await _next(queue)) == (False, [(first, 90)], [])
        # A resync request reads everything too, whatever the backstop's period.
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("UPDATE tests SET interval_s = 120 WHERE id = $1", first)
        resync = await channel.declare_exchange(names.RESYNC_EXCHANGE, "topic", durable=True)
        await resync.publish(
            amqp.persistent(encode_resync(ResyncRequest(settings.cell, region, "n1", "test"))),
            routing_key=settings.cell,
        )
        message = await _next(queue)
        if not message.full:  # the backstop's read came first
            assert _seen(message) == (False, [(first, 120)], [])
            message = await _next(queue)
        assert _seen(message) == (True, [(first, 120)], [])


async def test_a_burst_of_resync_requests_costs_two_full_reads_not_one_each(
    region_env, database_url, amqp_url, monkeypatch
) -> None:
    from scheduler import changes

    region, conn, channel, queue = region_env
    await _insert_test(conn, region, "http://127.0.0.1:1/a")
    reads = 0
    read_all = changes.read_all

    async def slow_read_all(engine):  # as with many tests: requests pile up behind it
        nonlocal reads
        reads += 1
        await asyncio.sleep(0.3)
        return await read_all(engine)

    monkeypatch.setattr(changes, "read_all", slow_read_all)
    settings = _settings(database_url, amqp_url)
    async with _scheduler(settings), _beating(channel, region, {"n1"}):
        assert (await _next(queue)).full
        assert reads == 1
        resync = await channel.declare_exchange(names.RESYNC_EXCHANGE, "topic", durable=True)
        for i in range(5):
            await resync.publish(
                amqp.persistent(
                    encode_resync(ResyncRequest(settings.cell, region, "n1", f"burst {i}"))
                ),
                routing_key=settings.cell,
            )
        for _ in range(5):
            assert (await _next(queue)).full  # each asker gets its full set
        assert reads <= 3  # one each would be 6


async def _churn(database_url: str, region: str, seed: int, rounds: int) -> None:
    """Random writes in transactions held open for random times, so they commit out of
    the order in which they took their transaction ids."""
    import random

    rng = random.Random(seed)
    conn = await asyncpg.connect(database_url)
    try:
        ids = [await _insert_test(conn, region, f"http://127.0.0.1:1/{seed}/{i}") for i in range(5)]
        for _ in range(rounds):
            async with conn.transaction():
                test_id = rng.choice(ids)
                what = rng.random()
                if what < 0.5:
                    await conn.execute(
                        "UPDATE tests SET interval_s = $1 WHERE id = $2",
                        rng.randrange(30, 300),
                        test_id,
                    )
                elif what < 0.7:
                    await conn.execute(
                        "UPDATE tests SET enabled = NOT enabled WHERE id = $1", test_id
                    )
                elif what < 0.8:
                    await conn.execute("DELETE FROM tests WHERE id = $1", test_id)
                    ids.remove(test_id)
                    ids.append(await _insert_test(conn, region, f"http://127.0.0.1:1/{seed}"))
                else:
                    ids.append(await _insert_test(conn, region, f"http://127.0.0.1:1/{seed}"))
                await asyncio.sleep(rng.random() * 0.15)
    finally:
        await conn.close()


async def test_concurrent_writers_committing_out_of_order_lose_no_change(
    region_env, database_url, amqp_url
) -> None:
    region, conn, channel, queue = region_env
    held: dict[int, int] = {}  # test -> interval, as the node holds them

    async def take(message: Assignment) -> None:
        if message.full:
            held.clear()
        held.update((s.id, s.interval_s) for s in message.upserts)
        for test_id in message.removals:
            held.pop(test_id, None)

    async with _scheduler(_settings(database_url, amqp_url)), _beating(channel, region, {"n1"}):
        await asyncio.gather(*(_churn(database_url, region, seed, 25) for seed in range(6)))
        rows = await conn.fetch(
            "SELECT id, interval_s FROM tests WHERE enabled AND $1 = ANY(regions)", region
        )
        wanted = {r["id"]: r["interval_s"] for r in rows}
        deadline = time.monotonic() + 20
        while held != wanted:
            assert time.monotonic() < deadline, f"the node holds {held}, not {wanted}"
            message = await queue.get(no_ack=True, fail=False)
            if message is None:
                await asyncio.sleep(0.05)
            else:
                await take(decode_assignment(message.body))
