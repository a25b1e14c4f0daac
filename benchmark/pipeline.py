"""`vigil bench pipeline [--tests N] [--mix real|plain]`: the whole load on this machine.

A scratch cell (database, vhost), real `vigil scheduler`, `vigil executor` processes,
`vigil processor` and `vigil api`, and a local target process (benchmark.pipeline_target)
serving plain HTTP and HTTPS with a trustme certificate the executors verify in full. N
tests at one check a minute are inserted in bulk; after the grid has filled, a steady
window is measured: checks/s counted at the target and results stored/s against the
offered N/60, start lateness (the executors' histogram), visibility lag through
`GET /tests/{id}/results`, CPU and RSS per component from /proc, bytes per result on disk,
the time to the first full minute, and the status page / dashboard API p99 under load.
Then everything is stopped in order and every test's checks at the target are compared
with its rows: stored == performed.

`--mix real`: 80 % HTTPS, 20-500 ms answers (the target sleeps; see docs/PERFORMANCE.md
for why not netem), 1 % 5xx, 1 % never answering. `--mix plain`: instant plain HTTP.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from benchmark.processes import Processes
from benchmark.runner import emit
from shared.config import Settings

KEY = "vk_bench-pipeline-key"
SLUG = "pipeline-page"
TIMEOUT_S = 5.0
CLK = os.sysconf("SC_CLK_TCK")


def behaviour(test_id: int, mix: str) -> tuple[int, float]:
    """(status, seconds to wait) the target answers test `id` with; status 0: no answer."""
    if mix == "plain":
        return 200, 0.0
    if test_id % 100 == 1:
        return 0, 0.0
    if test_id % 100 == 2:
        return 503, 0.05
    return 200, (20 + (test_id * 7919) % 481) / 1000  # 20-500 ms, spread evenly


def is_https(test_id: int, mix: str) -> bool:
    return mix == "real" and test_id % 10 < 8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scratch(settings: Settings) -> tuple[str, str]:
    from ops.migrate import upgrade

    parts = urlsplit(settings.database_url)
    url = urlunsplit(parts._replace(path=f"/vigil_pipe_{uuid.uuid4().hex[:8]}"))
    upgrade(url)
    vhost = f"vigil-pipe-{uuid.uuid4().hex[:8]}"
    for args in (["add_vhost", vhost], ["set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"]):
        subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True)
    amqp = urlunsplit(urlsplit(settings.amqp_url)._replace(path=f"/{vhost}"))
    return url, amqp


def _certs(directory: Path) -> Path:
    import trustme

    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(directory / "ca.pem"))
    # 90 days, as Let's Encrypt issues: trustme's default (year 3000) is beyond the days
    # left a result may carry (shared.messages.MAX_CERT_DAYS), and every result would be
    # stored without its certificate days (the processor drops and counts a bad extra).
    leaf = ca.issue_cert("127.0.0.1", not_after=datetime.now(UTC) + timedelta(days=90))
    leaf.private_key_and_cert_chain_pem.write_to_path(str(directory / "server.pem"))
    return directory / "ca.pem"


async def _seed(url: str, n: int, mix: str, http_port: int, https_port: int) -> list[int]:
    """N tests in bulk, an API key and a status page of 50 monitors. Returns the ids."""
    from api.security import digest

    conn = await asyncpg.connect(url)
    try:
        account = await conn.fetchval(
            "INSERT INTO accounts (email, password_hash) VALUES "
            "('pipe@example.com', 'x') RETURNING id"
        )
        await conn.execute(
            "INSERT INTO monitors (account_id, name) SELECT $1, 'm' || g "
            "FROM generate_series(1, $2) g",
            account,
            n,
        )
        https = (
            "CASE WHEN $4 = 'real' AND m.id % 10 < 8 THEN 'https://127.0.0.1:' || $5 "
            "ELSE 'http://127.0.0.1:' || $6 END"
        )
        await conn.execute(
            "INSERT INTO tests (id, monitor_id, account_id, kind, region, interval_s, timeout_s,"
            f" config) SELECT m.id, m.id, $1, 'http', 'local', 60, $2, jsonb_build_object("
            f"'url', {https} || '/t/' || m.id, 'method', 'GET', 'expect_status', 200)"
            " FROM monitors m WHERE m.account_id = $1 AND m.id <= $3",
            account,
            TIMEOUT_S,
            n,
            mix,
            str(https_port),
            str(http_port),
        )
        await conn.execute("SELECT setval('tests_id_seq', (SELECT max(id) FROM tests))")
        await conn.execute(
            "INSERT INTO api_keys (account_id, login_id, name, prefix, key_hash,"
            " role) VALUES ($1, $1, 'bench', 'vk_bench', $2, 'owner')",
            account,
            digest(KEY),
        )
        page = await conn.fetchval(
            "INSERT INTO status_pages (account_id, slug, title, language)"
            " VALUES ($1, $2, 'Bench', 'en') RETURNING id",
            account,
            SLUG,
        )
        await conn.execute(
            "INSERT INTO status_page_monitors (page_id, monitor_id, account_id, "
            "position) SELECT $1, g, $2, g FROM generate_series(3, 52) g",
            page,
            account,
        )
        await conn.execute("VACUUM ANALYZE tests")
        return [r["id"] for r in await conn.fetch("SELECT id FROM tests ORDER BY id")]
    finally:
        await conn.close()


class Cell(Processes):
    """The processes of the run, each with its log, and their /proc figures."""

    def cpu_s(self) -> dict[str, float]:
        return {name: _cpu_s(p.pid) for name, p in self.procs.items()}

    def rss_mb(self) -> dict[str, float]:
        return {name: _rss_mb(p.pid) for name, p in self.procs.items()}


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK  # utime + stime


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _named_cpu_s(names: tuple[str, ...]) -> float:
    """CPU seconds of every process of that command name (PostgreSQL, RabbitMQ): the
    machine's, shared with whatever else uses them."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if comm in names:
                total += _cpu_s(int(entry.name))
    return total


def _machine_busy_s() -> float:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    idle = int(fields[3]) + int(fields[4])
    return (sum(int(f) for f in fields[:8]) - idle) / CLK


def _counts(base: str) -> dict[str, dict[str, float]]:
    return httpx.get(f"{base}/__counts", timeout=30).json()  # type: ignore[no-any-return]


def _lateness(ports: list[int]) -> dict[float, float]:
    """The executors' lateness histogram, summed: {upper bound: cumulative count}."""
    buckets: dict[float, float] = {}
    for port in ports:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        for line in text.splitlines():
            if line.startswith("vigil_executor_check_lateness_seconds_bucket"):
                le = line.split('le="', 1)[1].split('"', 1)[0]
                bound = float("inf") if le == "+Inf" else float(le)
                buckets[bound] = buckets.get(bound, 0.0) + float(line.rsplit(" ", 1)[1])
    return buckets


def _quantile(before: dict[float, float], after: dict[float, float], q: float) -> float:
    """The upper bound of the bucket holding quantile q of the window's observations."""
    bounds = sorted(after)
    delta = [after[b] - before.get(b, 0.0) for b in bounds]
    if not delta or delta[-1] <= 0:
        return float("nan")
    for bound, cum in zip(bounds, delta, strict=True):
        if cum >= q * delta[-1]:
            return bound
    return bounds[-1]


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _stored(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM results"))
    finally:
        await conn.close()


async def _sample_api(api: str, ids: list[int], seconds: float) -> dict[str, list[float]]:
    """During the window: the visibility lag of a few tests' newest results (seen through
    the API, against their check time), and the status page's and dashboard's times."""
    out: dict[str, list[float]] = {"lag": [], "page": [], "dashboard": []}
    seen: dict[int, str] = {}
    headers = {"authorization": f"Bearer {KEY}"}
    end = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=api, headers=headers, timeout=30) as client:
        while time.monotonic() < end:
            for test_id in ids:
                r = await client.get(f"/api/v1/tests/{test_id}/results", params={"limit": 1})
                now = time.time()
                items = r.json().get("items") or []
                if items and items[0]["checked_at"] != seen.get(test_id):
                    if test_id in seen:  # the first sight may be of an old row
                        out["lag"].append(now - _epoch(items[0]["checked_at"]))
                    seen[test_id] = items[0]["checked_at"]
            for key, path in (
                ("page", f"/api/v1/public/status-pages/{SLUG}"),
                ("dashboard", "/api/v1/monitors?limit=50"),
            ):
                started = time.perf_counter()
                r = await client.get(path)
                out[key].append(time.perf_counter() - started)
                if r.status_code != 200:
                    raise RuntimeError(f"{path}: {r.status_code} {r.text[:200]}")
            await asyncio.sleep(0.2)
    return out


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


async def _disk(url: str) -> tuple[float, int]:
    conn = await asyncpg.connect(url)
    try:
        size = await conn.fetchval(
            "SELECT sum(pg_total_relation_size(relid)) FROM ("
            " SELECT relid FROM pg_partition_tree('results') UNION ALL"
            " SELECT relid FROM pg_partition_tree('results_week')) t"
        )
        rows = await conn.fetchval("SELECT count(*) FROM results")
        return float(size), int(rows)
    finally:
        await conn.close()


async def _per_test(url: str) -> dict[int, int]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT test_id, count(*) AS n FROM results GROUP BY test_id")
        return {r["test_id"]: r["n"] for r in rows}
    finally:
        await conn.close()


def _executors(n_tests: int) -> int:
    return max(1, -(-n_tests // 60_000))


def _env(
    settings: Settings, url: str, amqp: str, ca: Path, state: Path, api_port: int, n_tests: int
) -> dict[str, str]:
    return {
        **os.environ,
        "VIGIL_DATABASE_URL": url,
        "VIGIL_AMQP_URL": amqp,
        "VIGIL_CELL": "pipe",
        "VIGIL_REGION": "local",
        "VIGIL_API_PORT": str(api_port),
        "VIGIL_DIRECTORY_URL": "",
        "VIGIL_ALLOW_PRIVATE_TARGETS": "true",
        "VIGIL_LOG_FORMAT": "text",
        "VIGIL_SECRET_KEY": "pipeline-bench",
        "VIGIL_STATE_DIR": str(state),
        "VIGIL_MAX_TESTS": str(n_tests + 10),
        # A 300 ms answer at 3,000 checks/s keeps ~900 connections open per core's worth.
        "VIGIL_EXECUTOR_CONCURRENCY": "2048",
        "SSL_CERT_FILE": str(ca),  # the executors verify the trustme chain in full
    }


def _wait(what: str, ok: Any, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if ok():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"timed out waiting for {what}")


def bench_pipeline(settings: Settings, options: dict[str, Any]) -> Iterator[dict[str, Any]]:
    n, mix = int(options.get("tests") or 180_000), options.get("mix") or "real"
    window = float(options.get("window") or 180)
    n_exec = int(options.get("executors") or _executors(n))
    tmp = Path(tempfile.mkdtemp(prefix="vigil-pipe-"))  # kept: the components' logs
    print(f"vigil bench pipeline: logs in {tmp}", file=sys.stderr)
    yield from _run(settings, n, mix, window, n_exec, tmp)


def _run(
    settings: Settings, n: int, mix: str, window: float, n_exec: int, tmp: Path
) -> Iterator[dict[str, Any]]:
    from ops.migrate import drop_database

    url, amqp = _scratch(settings)
    cell: Cell | None = None
    try:
        ca = _certs(tmp)
        http_port, https_port, api_port = _free_port(), _free_port(), _free_port()
        ids = asyncio.run(_seed(url, n, mix, http_port, https_port))
        env = _env(settings, url, amqp, ca, tmp / "state", api_port, n)
        cell = Cell(tmp, env)
        py = [sys.executable, "-m"]
        cell.start(
            "target",
            [*py, "benchmark.pipeline_target", str(tmp), str(http_port), str(https_port), mix],
        )
        target = f"http://127.0.0.1:{http_port}"
        _wait("the target", lambda: _counts(target) is not None, 30)
        started = time.time()
        metrics = [_free_port() for _ in range(n_exec)]
        for name, port in [("processor", 0), ("api", 0), ("scheduler", 0)]:
            cell.start(name, [*py, "ops.cli", name], VIGIL_METRICS_PORT=str(port))
        for i, port in enumerate(metrics):
            cell.start(
                f"executor{i}",
                [*py, "ops.cli", "executor"],
                VIGIL_NODE_ID=f"pipe-{i}",
                VIGIL_METRICS_PORT=str(port),
                VIGIL_STATE_DIR=str(tmp / f"state{i}"),
            )
        api = f"http://127.0.0.1:{api_port}"
        _wait("the API", lambda: httpx.get(f"{api}/api/v1/health").status_code == 200)
        _wait("every test checked once", lambda: len(_counts(target)["first"]) >= n, 300)
        cell.assert_running()
        full_minute = max(_counts(target)["first"].values()) - started
        time.sleep(30)  # the first minute's backlog settles
        yield from _window(
            cell, url, api, target, metrics, ids, n, mix, window, n_exec, full_minute
        )
        yield from _settle(cell, url, target, n_exec, mix)
    finally:
        if cell is not None:
            cell.stop_all(10)
        asyncio.run(drop_database(url))
        vhost = urlsplit(amqp).path.lstrip("/")
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)


def _window(
    cell: Cell,
    url: str,
    api: str,
    target: str,
    metrics: list[int],
    ids: list[int],
    n: int,
    mix: str,
    window: float,
    n_exec: int,
    full_minute: float,
) -> Iterator[dict[str, Any]]:
    offered = n / 60
    t0, c0, s0 = time.monotonic(), _total(target), asyncio.run(_stored(url))
    cpu0, pg0, busy0 = cell.cpu_s(), _pg_rabbit_cpu(), _machine_busy_s()
    late0 = _lateness(metrics)
    # Sample tests that answer (not the timeouts), spread over the ids.
    sample = [i for i in ids[:: max(1, len(ids) // 20)] if behaviour(i, mix)[0] == 200][:10]
    api_figures = asyncio.run(_sample_api(api, sample, window))
    elapsed = time.monotonic() - t0
    c1, s1 = _total(target), asyncio.run(_stored(url))
    cpu1, pg1, busy1 = cell.cpu_s(), _pg_rabbit_cpu(), _machine_busy_s()
    late1 = _lateness(metrics)
    cell.assert_running()
    k = f"{n // 1000}k_{mix}"
    b = "pipeline"
    yield emit(b, f"checks_per_s_at_target_{k}", (c1 - c0) / elapsed, "offered_per_s", offered)
    yield emit(b, f"results_stored_per_s_{k}", (s1 - s0) / elapsed, "offered_per_s", offered)
    for q in (0.5, 0.99):
        yield emit(
            b, f"start_lateness_p{int(q * 100)}_s_{k}", _quantile(late0, late1, q), "interval_s", 60
        )
        yield emit(
            b, f"visibility_lag_p{int(q * 100)}_s_{k}", _p(api_figures["lag"], q), "goal_p99_s", 5
        )
    for key in ("page", "dashboard"):
        yield emit(
            b,
            f"{key}_api_p99_ms_under_load_{k}",
            _p(api_figures[key], 0.99) * 1000,
            f"{key}_api_p50_ms_under_load",
            _p(api_figures[key], 0.5) * 1000,
        )
    yield emit(b, f"time_to_first_full_minute_s_{k}", full_minute, "interval_s", 60)
    yield from _cpu_lines(cell, cpu0, cpu1, pg0, pg1, busy1 - busy0, elapsed, n, k)
    size, rows = asyncio.run(_disk(url))
    yield emit(b, f"bytes_on_disk_per_result_{k}", size / max(rows, 1), "rows", rows)
    yield emit(b, f"executor_processes_{k}", n_exec, "tests", n)


def _total(target: str) -> int:
    return sum(int(v) for v in _counts(target)["counts"].values())


def _pg_rabbit_cpu() -> dict[str, float]:
    return {
        "postgresql_machine": _named_cpu_s(("postgres", "postmaster")),
        "rabbitmq_machine": _named_cpu_s(("beam.smp",)),
    }


def _cpu_lines(
    cell: Cell,
    cpu0: dict[str, float],
    cpu1: dict[str, float],
    pg0: dict[str, float],
    pg1: dict[str, float],
    busy: float,
    elapsed: float,
    n: int,
    k: str,
) -> Iterator[dict[str, Any]]:
    cores = os.cpu_count() or 1
    ours = 0.0
    rss = cell.rss_mb()
    for name in cpu1:
        used = (cpu1[name] - cpu0.get(name, 0.0)) / elapsed
        ours += used
        yield emit("pipeline", f"cpu_cores_{name}_{k}", used, "machine_cores", cores)
        yield emit("pipeline", f"rss_mb_{name}_{k}", rss.get(name, 0.0), "machine_cores", cores)
    for name in pg1:  # shared services: other helpers' load is in these
        yield emit(
            "pipeline",
            f"cpu_cores_{name}_{k}",
            (pg1[name] - pg0[name]) / elapsed,
            "machine_cores",
            cores,
        )
    yield emit("pipeline", f"cpu_cores_vigil_and_target_{k}", ours, "machine_cores", cores)
    yield emit(
        "pipeline",
        f"cpu_cores_per_1000_tests_vigil_and_target_{k}",
        ours / n * 1000,
        "machine_cores",
        cores,
    )
    yield emit(
        "pipeline", f"machine_busy_cores_all_users_{k}", busy / elapsed, "machine_cores", cores
    )
    yield emit("pipeline", f"load_average_1m_{k}", os.getloadavg()[0], "machine_cores", cores)


def _settle(cell: Cell, url: str, target: str, n_exec: int, mix: str) -> Iterator[dict[str, Any]]:
    """Stop checking (scheduler, then executors: they flush what they hold), let the
    processor drain, and compare every test's checks at the target with its rows."""
    cell.stop("scheduler")
    for i in range(n_exec):
        cell.stop(f"executor{i}", 60)
    counts = {int(k): int(v) for k, v in _counts(target)["counts"].items()}
    stored: dict[int, int] = {}
    for _ in range(60):  # the processor drains the queue
        stored = asyncio.run(_per_test(url))
        if sum(stored.values()) >= sum(counts.values()):
            break
        time.sleep(1)
    # 5xx tests apart: a failed check may be tried again within the check (more requests
    # than results, by design); in-flight checks at the stop are the rest of any gap.
    answering = [t for t in counts if behaviour(t, mix)[0] == 200]
    failing = [t for t in counts if behaviour(t, mix)[0] not in (0, 200)]
    yield emit(
        "pipeline",
        "performed_minus_stored_5xx_tests",
        sum(counts[t] - stored.get(t, 0) for t in failing),
        "checks_performed",
        sum(counts[t] for t in failing),
    )
    diff = sum(abs(counts[t] - stored.get(t, 0)) for t in answering)  # 0 lost, 0 doubled
    timeouts = [t for t in counts if behaviour(t, mix)[0] == 0]
    yield emit(
        "pipeline",
        "performed_minus_stored_200_tests_abs",
        diff,
        "checks_performed",
        sum(counts[t] for t in answering),
    )
    yield emit(
        "pipeline",
        "performed_minus_stored_timeout_tests",
        sum(counts[t] - stored.get(t, 0) for t in timeouts),
        "checks_performed",
        sum(counts[t] for t in timeouts),
    )
