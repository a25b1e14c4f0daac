"""`vigil bench subscribers`: one incident told to 10,000 confirmed subscribers of a page.

Ours: a real `vigil notifier` (a subprocess) hears one "opened" event on its queue, reads
the page's subscribers, registers and publishes one delivery each, and its engine sends each
through the email channel to the operator's relay, here an aiosmtpd sink in a process of
its own that counts what it accepts. The figure is the seconds from the event's publish to
the sink's 10,000th mail (the target: under 60 s). Baseline, same run, same sink: the same
number of mails built by the email channel and handed over with bare aiosmtplib at the
same concurrency (64, VIGIL_NOTIFY_CONCURRENCY), no queue, no ledger. It works in a
throw-away database and vhost.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import aiosmtplib
import asyncpg

from benchmark.peers import free_port, vhost, wait_for_port
from notifier.channels.email import build
from notifier.message import Notification
from shared import amqp, names
from shared.codec import encode_incident_event
from shared.config import Settings
from shared.messages import IncidentEvent

N = int(os.environ.get("VIGIL_BENCH_SUBSCRIBERS", "10000"))
TIMEOUT_S = 300.0
# What an operator whose pages have thousands of subscribers sets VIGIL_NOTIFY_CONCURRENCY
# to; the baseline sends at the same concurrency.
CONCURRENCY = int(os.environ.get("VIGIL_BENCH_CONCURRENCY", "64"))
# The sink: count each accepted mail as one byte in a file the benchmark watches.
SINK = """
import sys, time
from aiosmtpd.controller import Controller
class Count:
    def __init__(self, path): self.out = open(path, "ab", buffering=0)
    async def handle_DATA(self, server, session, envelope):
        self.out.write(b"."); return "250 OK"
c = Controller(Count(sys.argv[2]), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
while True: time.sleep(3600)
"""


def bench_subscribers(settings: Settings) -> Iterator[dict[str, object]]:
    from benchmark.runner import emit

    ours, baseline = asyncio.run(_measure(settings))
    yield emit("subscribers", "fanout_10k_mails_s", ours, "bare_aiosmtplib_10k_mails_s", baseline)


async def _measure(settings: Settings) -> tuple[float, float]:
    from ops.migrate import upgrade

    parts = urlsplit(settings.database_url)
    name = f"vigil_bench_{uuid.uuid4().hex[:8]}"
    url = urlunsplit(parts._replace(path=f"/{name}"))
    await asyncio.to_thread(upgrade, url)
    try:
        with vhost() as host, tempfile.TemporaryDirectory() as tmp:
            amqp_url = urlunsplit(urlsplit(settings.amqp_url)._replace(path=f"/{host}"))
            return await _run(settings, url, amqp_url, Path(tmp))
    finally:
        admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _run(settings: Settings, url: str, amqp_url: str, tmp: Path) -> tuple[float, float]:
    port, counter = free_port(), tmp / "count"
    counter.touch()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port), str(counter)])
    try:
        wait_for_port(port, "the SMTP sink")
        event = await _seed(url)
        baseline = await _bare(port, counter, CONCURRENCY)
        ours = await _through_notifier(settings, url, amqp_url, port, counter, event, tmp)
        return ours, baseline
    finally:
        sink.terminate()
        sink.wait()


async def _seed(url: str) -> IncidentEvent:
    """A page of one monitor, N confirmed subscribers, and an open incident of the monitor."""
    conn = await asyncpg.connect(url)
    try:
        account = await conn.fetchval(
            "INSERT INTO accounts (email, password_hash) VALUES "
            "('bench@example.com', 'x') RETURNING id"
        )
        monitor = await conn.fetchval(
            "INSERT INTO monitors (account_id, name) VALUES ($1, 'Checkout') RETURNING id", account
        )
        test = await conn.fetchval(
            "INSERT INTO tests (monitor_id, account_id, kind, region, interval_s, timeout_s, "
            "config) VALUES ($1, $2, 'http', 'eu', 60, 5, '{}') RETURNING id",
            monitor,
            account,
        )
        page = await conn.fetchval(
            "INSERT INTO status_pages (account_id, slug, title, "
            "language) VALUES ($1, 'bench', 'Shop', 'en') RETURNING id",
            account,
        )
        await conn.execute(
            "INSERT INTO status_page_monitors (page_id, monitor_id, account_id) "
            "VALUES ($1, $2, $3)",
            page,
            monitor,
            account,
        )
        await conn.copy_records_to_table(
            "status_subscribers",
            columns=["page_id", "account_id", "kind", "address", "language", "confirmed_at"],
            records=[
                (page, account, "email", f"s{i}@example.com", "en", time_now()) for i in range(N)
            ],
        )
        incident = await conn.fetchval(
            "INSERT INTO incidents (test_id, monitor_id, state, cause, started_at, "
            "confirmed_at, evidence) VALUES ($1, $2, 'down', 'bench', now(), now(), '{}') "
            "RETURNING id",
            test,
            monitor,
        )
    finally:
        await conn.close()
    now = int(time.time() * 1000)
    return IncidentEvent(
        kind="opened",
        cell="bench",
        incident_id=incident,
        test_id=test,
        monitor_id=monitor,
        state="down",
        cause="bench",
        started_at_ms=now,
        confirmed_at_ms=now,
        resolved_at_ms=None,
    )


def time_now() -> datetime:
    return datetime.now(UTC)


async def _wait_count(counter: Path, target: int, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while counter.stat().st_size < target:
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{what}: {counter.stat().st_size} of {target} mails in {TIMEOUT_S:.0f} s"
            )
        await asyncio.sleep(0.05)


async def _bare(port: int, counter: Path, concurrency: int) -> float:
    """N mails of the same shape, handed to the sink by aiosmtplib alone."""
    n = Notification(
        kind="opened",
        key="bench",
        monitor="Checkout",
        incident_id=1,
        url="http://127.0.0.1:8080/s/bench",
    )
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(N):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            message = build(
                n,
                "vigil@localhost",
                [f"b{i}@example.com"],
                f"http://127.0.0.1:8080/s/bench/subscription/unsubscribe?token={i}",
            )
            await aiosmtplib.send(message, hostname="127.0.0.1", port=port, timeout=30)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    await _wait_count(counter, N, "baseline")
    return time.perf_counter() - started


async def _through_notifier(
    settings: Settings,
    url: str,
    amqp_url: str,
    port: int,
    counter: Path,
    event: IncidentEvent,
    tmp: Path,
) -> float:
    env = {
        **os.environ,
        "VIGIL_DATABASE_URL": url,
        "VIGIL_AMQP_URL": amqp_url,
        "VIGIL_CELL": "bench",
        "VIGIL_SECRET_KEY": settings.secret_key,
        "VIGIL_SMTP_URL": f"smtp://127.0.0.1:{port}?security=plain",
        "VIGIL_LOG_LEVEL": "INFO",
        "VIGIL_STATE_DIR": str(tmp / "state"),
        "VIGIL_NOTIFY_CONCURRENCY": str(CONCURRENCY),
    }
    log = open(tmp / "notifier.log", "wb")  # noqa: SIM115 - closed below
    notifier = subprocess.Popen(
        [sys.executable, "-m", "ops.cli", "notifier"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        connection = await amqp.connect(amqp_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            await amqp.notifications_queue(channel, "bench")
            await _wait_running(tmp / "notifier.log")
            exchange = await channel.get_exchange(names.EVENTS_EXCHANGE)
            before = counter.stat().st_size
            started = time.perf_counter()
            await exchange.publish(
                aio_pika.Message(encode_incident_event(event), message_id="bench-opened"),
                routing_key=names.incident_key("opened", "bench"),
            )
            await _wait_count(counter, before + N, "notifier")
            return time.perf_counter() - started
    finally:
        notifier.terminate()
        notifier.wait(30)
        log.close()
        if os.environ.get("VIGIL_BENCH_KEEP_LOG"):  # a path: keep the notifier's log there
            Path(os.environ["VIGIL_BENCH_KEEP_LOG"]).write_bytes(
                (tmp / "notifier.log").read_bytes()
            )


async def _wait_running(log: Path) -> None:
    """Until the notifier says it consumes (its queues are declared before it says so)."""
    deadline = time.monotonic() + 60
    while b"notifier running" not in log.read_bytes():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the notifier did not start within 60 s; its log:\n{tail}")
        await asyncio.sleep(0.1)
