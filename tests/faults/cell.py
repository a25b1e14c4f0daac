"""A cell under steady load for one fault test: its own database (on the suite's own
PostgreSQL) and vhost (on the suite's own RabbitMQ), `N_TESTS` HTTP tests every `INTERVAL_S`
seconds against a counting target, and real `vigil scheduler`, `executor` and `processor`
processes that a test may kill, stop and start again."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg

from benchmark.processes import Processes
from shared import names
from tests.faults.ledger import CountingTarget, Tally, tally
from tests.faults.services import OwnPostgres, OwnRabbit

N_TESTS = 400
INTERVAL_S = 2  # 200 checks a second in all
COMPONENTS = ("processor", "scheduler", "executor")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class FaultCell:
    def __init__(self, pg: OwnPostgres, mq: OwnRabbit, logs: Path) -> None:
        from ops.migrate import upgrade

        self.pg, self.mq, self.logs = pg, mq, logs
        self.database_url = pg.url(f"vigil_faults_{uuid.uuid4().hex[:8]}")
        upgrade(self.database_url)
        self.vhost, amqp_url = mq.vhost()
        self.target = CountingTarget()
        self.target.server.start()
        self.test_ids = self.run(self._seed(self.target.server.url))
        self.env = {
            **os.environ,
            "VIGIL_DATABASE_URL": self.database_url,
            "VIGIL_AMQP_URL": amqp_url,
            "VIGIL_CELL": "faults",
            "VIGIL_REGION": "local",
            "VIGIL_DIRECTORY_URL": "",
            "VIGIL_NODE_ID": "faults-1",
            "VIGIL_ALLOW_PRIVATE_TARGETS": "true",
            "VIGIL_MIN_INTERVAL": "1",
            "VIGIL_SCHEDULER_POLL": "0.5",
            "VIGIL_BATCH_MAX_DELAY": "0.2",
            "VIGIL_LOG_FORMAT": "text",
            # A broker restart takes ~20 s here: the node is not dead meanwhile.
            "VIGIL_NODE_DEAD_AFTER": "90",
            "VIGIL_STATE_DIR": str(logs / "state"),
        }
        self.processes = Processes(logs, self.env)

    @staticmethod
    def run(coro: Any) -> Any:
        return asyncio.run(coro)

    async def _seed(self, target_url: str) -> list[int]:
        conn = await asyncpg.connect(self.database_url)
        try:
            account = await conn.fetchval(
                "INSERT INTO accounts (email, password_hash) VALUES "
                "('faults@example.com', 'x') RETURNING id"
            )
            await conn.execute(
                "INSERT INTO monitors (account_id, name) SELECT $1, 'm' || g "
                "FROM generate_series(1, $2) g",
                account,
                N_TESTS,
            )
            await conn.execute(
                "INSERT INTO tests (id, monitor_id, account_id, kind, region, interval_s,"
                " timeout_s, config) SELECT m.id, m.id, $1, 'http', 'local', $2, 5,"
                " jsonb_build_object('url', $3 || '/t/' || m.id, 'method', 'GET',"
                " 'expect_status', 200) FROM monitors m WHERE m.account_id = $1",
                account,
                INTERVAL_S,
                target_url,
            )
            await conn.execute("SELECT setval('tests_id_seq', (SELECT max(id) FROM tests))")
            return [r["id"] for r in await conn.fetch("SELECT id FROM tests ORDER BY id")]
        finally:
            await conn.close()

    # --- the processes ---------------------------------------------------------------------

    def start(self, *names: str) -> None:
        for name in names or COMPONENTS:
            self.processes.start(name, [sys.executable, "-m", "ops.cli", name])

    def kill(self, name: str) -> None:
        self.processes.kill(name)

    def assert_running(self) -> None:
        self.processes.assert_running()

    def tail(self, name: str) -> str:
        return self.processes.tail(name)

    def close(self) -> None:
        from ops.migrate import drop_database

        self.processes.stop_all(20)
        self.target.server.stop()
        try:
            self.run(drop_database(self.database_url))
            self.mq.node.ctl("delete_vhost", self.vhost)
        except (OSError, RuntimeError, asyncpg.PostgresError):
            pass  # the suite's own services go with the session anyway

    # --- what was stored ---------------------------------------------------------------------

    async def _query(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url, timeout=10)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    def rows(self, since_ms: int) -> dict[int, list[int]]:
        """Check times (epoch ms) of the stored results since then, per test."""
        found = self.run(
            self._query(
                "SELECT test_id, round(extract(epoch FROM checked_at) * 1000)::bigint AS at "
                "FROM results WHERE checked_at >= to_timestamp($1 / 1000.0)",
                since_ms,
            )
        )
        out: dict[int, list[int]] = {}
        for r in found:
            out.setdefault(r["test_id"], []).append(r["at"])
        return out

    def newest_ms(self) -> int | None:
        try:
            [r] = self.run(
                self._query(
                    "SELECT round(extract(epoch FROM max(checked_at))"
                    " * 1000)::bigint AS at FROM results"
                )
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            return None  # the database is the fault
        return r["at"]  # type: ignore[no-any-return]

    def dead_lettered(self) -> int:
        """Result batches the broker set aside (a delivery limit reached): not stored."""
        listing = self.mq.node.ctl(
            "list_queues", "-p", self.vhost, "--no-table-headers", "name", "messages"
        )
        dead = names.dead_letter(names.results_queue(self.env["VIGIL_CELL"]))
        return sum(
            int(n)
            for name, n in (line.split() for line in listing.splitlines() if line.strip())
            if name == dead
        )

    def incidents(self) -> int:
        [r] = self.run(self._query("SELECT count(*) AS n FROM incidents"))
        return int(r["n"])

    # --- waiting -----------------------------------------------------------------------------

    def wait_steady(self, timeout: float = 60) -> int:
        """Until every test has been checked and stored, then a few seconds more of load
        before the fault; returns when the counted window starts."""
        wait(lambda: len(self.target.snapshot()) == N_TESTS, "every test checked", timeout)
        wait(lambda: self.caught_up(), "results stored as they come", timeout)
        self.assert_running()
        start = now_ms()
        time.sleep(3)
        return start

    def count(self, start_ms: int, report: dict[str, object], timeout: float = 60) -> Tally:
        """After the fault: a few seconds more of load, then the window's tally once its
        checks are stored (or the timeout), written into the report too."""
        time.sleep(3)
        end = now_ms()
        self.assert_running()
        result = self.settle(start_ms, end, timeout)
        report.update(
            seen=result.seen,
            stored=result.stored,
            lost=result.lost,
            doubled=result.doubled,
            unseen=result.unseen,
            dead_lettered=self.dead_lettered(),
        )
        return result

    def caught_up(self, within_ms: int = 3000) -> bool:
        newest = self.newest_ms()
        return newest is not None and now_ms() - newest < within_ms

    def recovered(self, after_ms: int, timeout: float = 90) -> float:
        """Seconds until a check made after `after_ms` (the fault's end) is stored."""

        def stored() -> bool:
            newest = self.newest_ms()
            return newest is not None and newest > after_ms

        return wait(stored, "a check made after the fault to be stored", timeout)

    def log_count(self, name: str, text: str) -> int:
        return (self.logs / f"{name}.log").read_text(errors="replace").count(text)

    def settle(self, start_ms: int, end_ms: int, timeout: float = 60) -> Tally:
        """Wait until every check the target saw in the window is stored (or the timeout),
        then return the tally of the window."""
        deadline = time.monotonic() + timeout
        while True:
            result = tally(self.target.snapshot(), self.rows(start_ms - 5000), start_ms, end_ms)
            if result.exact or time.monotonic() > deadline:
                return result
            time.sleep(1)


def wait(ok: Callable[[], bool], what: str, timeout: float) -> float:
    """Poll until ok(); returns the seconds it took."""
    started = time.monotonic()
    while not ok():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)
    return time.monotonic() - started
