"""`vigil bench executor`: HTTP checks a second, lateness and memory with 100,000 tests.

1. One real executor process (`vigil executor`, uvloop) is given tests against a local
   nginx at a rate it must sustain; every result is batched, compressed and published to a
   RabbitMQ vhost of the benchmark's own, where the benchmark counts them. Beside it, in the
   same run and against the same nginx: a bare aiohttp GET loop (a new connection per
   request, the ceiling for Python) and Prometheus blackbox_exporter driven by wrk.
2. With 100,000 tests loaded (one check a minute each, real HTTP checks), how late checks
   start against their slot (p99), and resident memory per loaded test; the baseline is
   the naive design, one sleeping asyncio task per test. Each runs in a fresh process.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import aio_pika
import aiohttp
from yarl import URL

from benchmark import peers
from benchmark.runner import Line, emit
from executor import gctune, httpclient, schedule
from executor.checks.base import CheckContext
from executor.dispatcher import Dispatcher, now_ms
from shared import amqp, names
from shared.codec import decode_batch, encode_assignment
from shared.config import Settings
from shared.messages import Assignment, Status, TestSpec

SECONDS = 15  # each throughput measurement
OFFERED = 3000  # checks a second offered to the executor: the target
INTERVAL_S = 10
CELL, REGION, NODE = "bench", "bench", "bench"
LOADED = 100_000


def run(settings: Settings) -> Iterator[Line]:
    with peers.nginx() as urls:
        cpu0 = time.process_time()
        bare = _run_async(bare_loop(urls, SECONDS))
        bare_cpu_us = 1e6 * (time.process_time() - cpu0) / (bare * SECONDS)
        with peers.blackbox_exporter() as blackbox:
            probes = [f"/probe?module=http_2xx&target={url}" for url in urls]
            exporter = peers.wrk_rate(blackbox, probes, SECONDS)
        ours = executor_rate(settings, urls)
        rate = ours["up_per_s"]
        yield emit("executor", "http_checks_per_s", rate, "bare_aiohttp_get_loop", bare)
        yield emit("executor", "http_checks_per_s", rate, "blackbox_exporter_wrk", exporter)
        yield emit("executor", "checks_per_s_any_verdict", ours["per_s"], "offered", OFFERED)
        # Quorum queues (the default) beside classic ones, on this one broker.
        classic = executor_rate(settings, urls, "classic")
        yield emit(
            "executor",
            "checks_per_s_any_verdict_quorum",
            ours["per_s"],
            "classic_queues",
            classic["per_s"],
        )
        yield emit("executor", "executor_cpu_share", ours["cpu"], "one_core", 1.0)
        # CPU per check tells the ceiling on a busy machine, where rates are the scheduler's.
        yield emit(
            "executor",
            "cpu_us_per_check",
            1e6 * ours["cpu"] / max(ours["per_s"], 1),
            "bare_aiohttp_get_loop_cpu_us_per_request",
            bare_cpu_us,
        )
        yield emit(
            "executor",
            "bytes_per_result_published",
            ours["bytes_per_result"],
            "json_message_per_result",
            141.6,
        )
        loaded = _in_fresh_process("ours", urls)
        naive = _in_fresh_process("naive", urls)
        yield emit(
            "executor",
            f"p99_start_lateness_ms_{LOADED}_tests",
            loaded["p99_ms"],
            "task_per_test",
            naive["p99_ms"],
        )
        yield emit(
            "executor",
            f"p50_start_lateness_ms_{LOADED}_tests",
            loaded["p50_ms"],
            "task_per_test",
            naive["p50_ms"],
        )
        yield emit(
            "executor",
            "rss_bytes_per_loaded_test",
            loaded["rss_per_test"],
            "task_per_test",
            naive["rss_per_test"],
        )


def _run_async(coro):  # type: ignore[no-untyped-def]
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


# --- the baseline: a bare aiohttp loop ------------------------------------------------------


async def bare_loop(urls: list[str], seconds: float, concurrency: int = 128) -> float:
    connector = aiohttp.TCPConnector(force_close=True, limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        done = 0
        stop_at = time.monotonic() + seconds

        async def worker(url: str) -> None:
            nonlocal done
            while time.monotonic() < stop_at:
                async with session.get(url) as resp:
                    await resp.read()
                done += 1

        started = time.monotonic()
        await asyncio.gather(*(worker(urls[i % len(urls)]) for i in range(concurrency)))
        return done / (time.monotonic() - started)


# --- ours: a real executor process, results counted off RabbitMQ -------------------------


def executor_rate(
    settings: Settings, urls: list[str], queue_type: str = "quorum"
) -> dict[str, float]:
    with peers.vhost() as vhost, tempfile.TemporaryDirectory() as state:
        amqp_url = str(URL(settings.amqp_url.split(",")[0]).with_path("/" + vhost, encoded=False))
        env = {
            **os.environ,
            "VIGIL_AMQP_URL": amqp_url,
            "VIGIL_ALLOW_PRIVATE_TARGETS": "1",
            "VIGIL_AMQP_QUEUE_TYPE": queue_type,
            "VIGIL_STATE_DIR": state,
            "VIGIL_LOG_LEVEL": "WARNING",
            "VIGIL_METRICS_PORT": "0",
            "VIGIL_NODE_ID": NODE,
        }
        argv = [sys.executable, "-m", "ops.cli", "executor", "--region", REGION]
        proc = subprocess.Popen(argv, env=env)
        try:
            options = amqp.QueueOptions(queue_type, settings.amqp_delivery_limit)
            return _run_async(_drive(amqp_url, urls, proc.pid, options))
        finally:
            proc.terminate()
            proc.wait(30)


async def _drive(
    amqp_url: str, urls: list[str], pid: int, options: amqp.QueueOptions
) -> dict[str, float]:
    connection = await amqp.connect(amqp_url, options)
    async with connection:
        channel = await connection.channel()
        results = await amqp.results_queue(channel, CELL)
        await amqp.node_assignments_queue(channel, REGION, NODE)
        exchange = await channel.declare_exchange(names.ASSIGNMENTS_EXCHANGE, "topic", durable=True)
        specs = _specs(OFFERED * INTERVAL_S, INTERVAL_S, urls)
        body = encode_assignment(Assignment(CELL, REGION, "bench", 1, True, specs, node=NODE))
        await exchange.publish(
            amqp.persistent(body), routing_key=names.assignments_key(REGION, NODE)
        )
        window = (now_ms() + INTERVAL_S * 1000, now_ms() + (INTERVAL_S + SECONDS) * 1000)
        counts = {"all": 0, "up": 0, "bytes": 0, "rows": 0}

        async def on_batch(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            batch, _ = decode_batch(message.body)
            counts["bytes"] += len(message.body)
            counts["rows"] += len(batch.results)
            for r in batch.results:
                if window[0] <= r.checked_at_ms < window[1]:
                    counts["all"] += 1
                    counts["up"] += r.status is Status.UP
            await message.ack()

        await results.consume(on_batch)
        await asyncio.sleep((window[0] - now_ms()) / 1000)
        cpu0 = peers.cpu_seconds(pid)
        await asyncio.sleep((window[1] - now_ms()) / 1000)
        cpu = (peers.cpu_seconds(pid) - cpu0) / SECONDS
        await asyncio.sleep(3)  # the last batches of the window
    return {
        "per_s": counts["all"] / SECONDS,
        "up_per_s": counts["up"] / SECONDS,
        "cpu": cpu,
        "bytes_per_result": counts["bytes"] / max(1, counts["rows"]),
    }


# --- 100,000 tests loaded: lateness and memory, ours against a task per test -------------


def _specs(n: int, interval_s: int, urls: list[str]) -> list[TestSpec]:
    return [
        TestSpec(
            i, CELL, REGION, "http", interval_s, 5.0, {"url": urls[i % len(urls)], "retries": 0}, 1
        )
        for i in range(1, n + 1)
    ]


def _in_fresh_process(design: str, urls: list[str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmark.executor", design, *urls],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


async def loaded(design: str, urls: list[str], seconds: float = SECONDS) -> dict[str, float]:
    late: list[float] = []
    async with httpclient.Client(True) as session:
        ctx = CheckContext(session, 1 << 20, True)
        gc.collect()
        before = peers.rss_bytes()
        specs = _specs(LOADED, 60, urls)
        if design == "ours":
            dispatcher = Dispatcher(ctx, lambda cell, result: None, observe=late.append)
            for spec in specs:
                dispatcher.upsert(spec)
            runner = [asyncio.create_task(dispatcher.run())]
        else:
            runner = [asyncio.create_task(_task_per_test(spec, ctx, late)) for spec in specs]
        del specs
        await asyncio.sleep(1)
        gctune.tune()  # as the executor does once it holds its tests
        rss_per_test = (peers.rss_bytes() - before) / LOADED
        late.clear()
        await asyncio.sleep(seconds)
        for task in runner:
            task.cancel()
        await asyncio.gather(*runner, return_exceptions=True)
    late.sort()
    return {
        "p50_ms": 1000 * late[len(late) // 2],
        "p99_ms": 1000 * late[int(len(late) * 0.99)],
        "checks": len(late),
        "rss_per_test": rss_per_test,
    }


async def _task_per_test(spec: TestSpec, ctx: CheckContext, late: list[float]) -> None:
    """The naive design: a task per test, sleeping until its next slot."""
    from executor import checks

    run = checks.get(spec.kind)

    async def check(due: int) -> None:
        late.append((now_ms() - due) / 1000)
        await run(spec, ctx)

    while True:
        due = schedule.next_due_ms(spec.id, spec.interval_s, now_ms())
        await asyncio.sleep((due - now_ms()) / 1000)
        asyncio.create_task(check(due))  # noqa: RUF006 - a benchmark's fire and forget


if __name__ == "__main__":
    print(json.dumps(_run_async(loaded(sys.argv[1], sys.argv[2:]))))
