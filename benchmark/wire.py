"""`vigil bench wire`: bytes on the wire per result, both hops of a remote region included.

A throw-away region broker runs in its own network namespace (benchmark/region_node.py) and is
wired to the centre by the same code as `vigil region add`. Counting TCP relays sit on both
hops: executor -> region broker, and the region's up shovel -> centre broker. We send results
in the executor's batches (msgpack + zstd, VIGIL_BATCH_MAX_RESULTS a batch), then the same
results as one JSON message each (the baseline), and count every byte both ways: AMQP
framing, publisher confirms and the shovel's acks included.

The results carry what a result holds today (verdict, latency, HTTP status, error). The
timing breakdown per result (DNS, connect, TLS, first byte) is not in the message yet (its
own issue); a second figure emulates it with four extra integer fields (tenths of ms).
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import aio_pika
import msgpack
import zstandard

from benchmark import region_node
from benchmark.runner import Line, emit, sample_results
from benchmark.tcp_relay import Relay
from ops import regions
from shared import amqp
from shared.codec import encode_batch, result_row
from shared.config import Settings
from shared.messages import Result, ResultBatch

BATCHES = 3


def bench_wire(settings: Settings) -> Iterator[Line]:
    why = region_node.available()
    if why:
        raise SystemExit(f"vigil bench wire: {why}")
    yield from asyncio.run(_run(settings))


async def _run(settings: Settings) -> list[Line]:
    node = await asyncio.to_thread(region_node.start)
    vhost = f"vigil-bench-{uuid.uuid4().hex[:8]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
        check=True,
        capture_output=True,
    )
    try:
        return await _measure(settings, node, vhost)
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)
        await asyncio.to_thread(node.stop)


async def _measure(settings: Settings, node: region_node.RegionNode, vhost: str) -> list[Line]:
    centre_hop = await Relay(node.host_ip, 0, "127.0.0.1", 5672).start()
    region_hop = await Relay("127.0.0.1", 0, node.region_ip, node.port).start()
    centre_url = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    local = Settings.from_env(
        {"VIGIL_AMQP_URL": centre_url, "VIGIL_REGIONS_FILE": f"{node.dir}/regions.json"}
    )
    env = {
        "C": f"amqp://guest:guest@{node.host_ip}:{centre_hop.port}/{vhost}",
        "M": node.management_url,
    }
    region = regions.Region("bench", "M", "C", reconnect_delay_s=1)
    await regions.add(local, region, env)
    cell = "bench"
    centre = await amqp.connect(centre_url)
    executor = await aio_pika.connect(f"amqp://guest:guest@127.0.0.1:{region_hop.port}/")
    try:
        channel = await centre.channel()
        queue = await amqp.results_queue(channel, cell)
        up = await amqp.up_exchange(await executor.channel())
        n = settings.batch_max_results * BATCHES
        results = sample_results(n)
        await _wait_shovels(node)
        ours = await _hops(
            centre_hop,
            region_hop,
            queue,
            BATCHES,
            _publish_batches(up, cell, results, settings.batch_max_results),
        )
        timed = await _hops(
            centre_hop,
            region_hop,
            queue,
            BATCHES,
            _publish_timed(up, cell, results, settings.batch_max_results),
        )
        theirs = await _hops(centre_hop, region_hop, queue, n, _publish_json(up, cell, results))
    finally:
        await executor.close()
        await centre.close()
        await centre_hop.close()
        await region_hop.close()
    return _lines(n, ours, timed, theirs)


def _lines(
    n: int, ours: dict[str, float], timed: dict[str, float], theirs: dict[str, float]
) -> list[Line]:
    base = "json_message_per_result"
    return [
        emit("wire", "bytes_per_result_both_hops", ours["total"] / n, base, theirs["total"] / n),
        emit(
            "wire",
            "bytes_per_result_executor_to_region",
            ours["region"] / n,
            base,
            theirs["region"] / n,
        ),
        emit(
            "wire",
            "bytes_per_result_shovel_to_centre",
            ours["centre"] / n,
            base,
            theirs["centre"] / n,
        ),
        emit(
            "wire",
            "bytes_per_result_both_hops_with_timings_emulated",
            timed["total"] / n,
            base,
            theirs["total"] / n,
        ),
        emit("wire", "seconds_to_deliver", ours["seconds"], base, theirs["seconds"]),
    ]


async def _wait_shovels(node: region_node.RegionNode) -> None:
    from shared.rabbitmq_admin import RabbitAdmin

    async with RabbitAdmin(node.management_url) as admin:
        for _ in range(300):
            if set((await admin.shovel_states()).values()) == {"running"}:
                return
            await asyncio.sleep(0.1)
    raise RuntimeError("the shovels did not start")


async def _hops(
    centre_hop: Relay, region_hop: Relay, queue: Any, expect: int, publish: Any
) -> dict[str, float]:
    """Bytes on each hop while `publish` runs and its messages arrive at the centre."""
    c0, r0, started = centre_hop.total, region_hop.total, time.perf_counter()
    await publish
    got = 0
    async with queue.iterator() as it:
        async for message in it:
            await message.ack()
            got += 1
            if got == expect:
                break
    seconds = time.perf_counter() - started
    await asyncio.sleep(0.5)  # the shovel's last acks and confirms
    centre, region = centre_hop.total - c0, region_hop.total - r0
    return {"centre": centre, "region": region, "total": centre + region, "seconds": seconds}


async def _publish_batches(up: Any, cell: str, results: list[Result], size: int) -> None:
    for i in range(0, len(results), size):
        body = encode_batch(
            ResultBatch(uuid.uuid4().bytes, cell, "bench", "node-1", results[i : i + size])
        )
        await up.publish(amqp.persistent(body, encoding="zstd"), routing_key=cell)


async def _publish_timed(up: Any, cell: str, results: list[Result], size: int) -> None:
    """Batches whose rows carry four more integers: DNS, connect, TLS, first byte (0.1 ms)."""
    rng = random.Random(3)
    compressor = zstandard.ZstdCompressor(level=3)
    for i in range(0, len(results), size):
        rows = [
            [*result_row(r), *(int(rng.lognormvariate(m, 0.5)) for m in (2, 4, 5, 5.5))]
            for r in results[i : i + size]
        ]
        body = compressor.compress(
            msgpack.packb(
                {
                    "v": 1,
                    "id": uuid.uuid4().bytes,
                    "cell": cell,
                    "region": "bench",
                    "node": "node-1",
                    "rows": rows,
                },
                use_bin_type=True,
            )
        )
        await up.publish(amqp.persistent(body, encoding="zstd"), routing_key=cell)


async def _publish_json(up: Any, cell: str, results: list[Result]) -> None:
    """One message a result, up to 500 awaiting their confirms at once (a fair pipeline)."""
    for i in range(0, len(results), 500):
        await asyncio.gather(*(_publish_one(up, cell, r) for r in results[i : i + 500]))


async def _publish_one(up: Any, cell: str, r: Result) -> None:
    body = json.dumps(
        {
            "test_id": r.test_id,
            "checked_at": r.checked_at_ms,
            "status": r.status.label,
            "latency_ms": r.latency_ms,
            "http_status": r.http_status,
            "error_kind": r.error_kind,
            "error": r.error,
            "cell": cell,
            "region": "bench",
            "node": "node-1",
        }
    ).encode()
    await up.publish(amqp.persistent(body, content_type="application/json"), routing_key=cell)
