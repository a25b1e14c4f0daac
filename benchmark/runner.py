"""`vigil bench NAME`: benchmarks that print our figure beside a baseline of the same run.

Each benchmark prints JSON lines: {"bench", "metric", "value", "baseline", "baseline_value",
"ratio"}. Absolute numbers drift on a noisy machine; the ratio to the baseline holds.
"""

from __future__ import annotations

import importlib
import json
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator

import msgpack

from shared.codec import decode_batch, encode_batch, result_row
from shared.config import Settings
from shared.messages import Result, ResultBatch, Status

Line = dict[str, object]


def emit(bench: str, metric: str, value: float, baseline: str, baseline_value: float) -> Line:
    ratio = round(value / baseline_value, 3) if baseline_value else None
    return {
        "bench": bench,
        "metric": metric,
        "value": round(value, 3),
        "baseline": baseline,
        "baseline_value": round(baseline_value, 3),
        "ratio": ratio,
    }


def sample_results(n: int, seed: int = 7) -> list[Result]:
    """Results shaped like a real minute of checks: mostly up, a few failures."""
    rng = random.Random(seed)
    start = 1_790_000_000_000
    out = []
    for i in range(n):
        if rng.random() < 0.03:
            out.append(
                Result(
                    100_000 + i,
                    start + i * 20,
                    Status.DOWN,
                    None,
                    None,
                    "timeout",
                    "no answer within 10.0 s",
                )
            )
        else:
            out.append(
                Result(
                    100_000 + i,
                    start + i * 20,
                    Status.UP,
                    round(rng.lognormvariate(3.5, 0.6), 3),
                    200,
                )
            )
    return out


def bench_codec(settings: Settings) -> Iterator[Line]:
    """Bytes a result costs on the wire, and encode+decode speed, against one JSON message
    per result (what a naive design sends)."""
    results = sample_results(settings.batch_max_results)
    batch = ResultBatch(uuid.uuid4().bytes, "a", "local", "node-1", results)
    dicts = [
        {
            "test_id": r.test_id,
            "checked_at": r.checked_at_ms,
            "status": r.status.label,
            "latency_ms": r.latency_ms,
            "http_status": r.http_status,
            "error_kind": r.error_kind,
            "error": r.error,
        }
        for r in results
    ]
    as_json = [json.dumps(d).encode() for d in dicts]
    as_msgpack = [msgpack.packb(result_row(r)) for r in results]
    body = encode_batch(batch)
    n = len(results)
    json_size = sum(map(len, as_json)) / n
    yield emit("codec", "bytes_per_result", len(body) / n, "json_message_per_result", json_size)
    yield emit(
        "codec",
        "bytes_per_result_msgpack_uncompressed",
        sum(map(len, as_msgpack)) / n,
        "json_message_per_result",
        json_size,
    )
    ours = _rate(lambda: decode_batch(encode_batch(batch)), n)
    theirs = _rate(lambda: [json.loads(json.dumps(d).encode()) for d in dicts], n)
    yield emit("codec", "results_per_s_encode_decode", ours, "json_encode_decode", theirs)


def _rate(work: Callable[[], object], items: int, seconds: float = 1.0) -> float:
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        work()
        done += items
    return done / (time.perf_counter() - started)


def bench_notify(settings: Settings) -> Iterator[Line]:
    """Imported on use: shared/ must not load the notifier for the other benchmarks."""
    from benchmark.notify import bench_notify as run

    yield from run(settings)


def _wire(settings: Settings) -> Iterator[Line]:
    from benchmark.wire import bench_wire  # starts a region broker: only when asked

    return bench_wire(settings)


def _lazy(module: str, name: str) -> Callable[[Settings], Iterator[Line]]:
    """A benchmark of a component, imported only when it runs."""

    def run(settings: Settings) -> Iterator[Line]:
        return getattr(importlib.import_module(module), name)(settings)  # type: ignore[no-any-return]

    return run


BENCHES: dict[str, Callable[[Settings], Iterator[Line]]] = {
    "codec": bench_codec,
    "notify": bench_notify,
    "wire": _wire,
    "ingest": _lazy("benchmark.ingest", "bench_ingest"),
    "api": _lazy("benchmark.api", "bench_api"),
    "private_page": _lazy("benchmark.private_page", "bench_private_page"),
    "dashboard": _lazy("benchmark.dashboard", "bench_dashboard"),
    "executor": _lazy("benchmark.executor", "run"),
    "scheduler": _lazy("benchmark.scheduler", "bench_scheduler"),
    "ping": _lazy("benchmark.ping", "bench_ping"),
    "subscribers": _lazy("benchmark.subscribers", "bench_subscribers"),
    "failover": _lazy("benchmark.failover", "bench_failover"),
}


def _pipeline(settings: Settings, options: dict[str, object]) -> Iterator[Line]:
    from benchmark.pipeline import bench_pipeline  # starts a whole cell: only when asked

    return bench_pipeline(settings, options)


def run_bench(name: str, settings: Settings, options: dict[str, object] | None = None) -> int:
    if name == "pipeline":  # the one bench with options of its own (--tests, --mix, ...)
        for line in _pipeline(settings, options or {}):
            print(json.dumps(line), flush=True)
        return 0
    if name not in BENCHES:
        print(
            f"vigil bench: unknown benchmark {name!r}; known: {', '.join(BENCHES)}, pipeline",
            file=sys.stderr,
        )
        return 2
    for line in BENCHES[name](settings):
        print(json.dumps(line), flush=True)
    return 0
