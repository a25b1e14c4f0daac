"""Which of a cell's schedulers leads: the one holding a PostgreSQL advisory lock.

Every scheduler of a cell asks for the same session-level advisory lock on a connection of
its own, used for nothing else. PostgreSQL gives it to one; the others ask again every
TAKEOVER/5 and stand by. The lock goes with the session, so it frees itself however the
leader goes:
- killed (SIGKILL, a crash): the kernel closes its socket, the server ends the session at once;
- hung: the watchdog (`Watchdog`) ends the process when a poll has not finished in time;
- stopped (SIGSTOP, a VM paused) or hung so that even the watchdog cannot act: its pings
  stop, so its session's last query grows old; a standby that finds the holder's last
  query older than TAKEOVER ends that session (`pg_terminate_backend`, allowed between
  sessions of one role) and takes the lock. A leader that wakes up finds its session gone
  at its next ping and steps down;
- cut off from the database: the leader pings its lock connection every TAKEOVER/4 and
  stops leading at the first ping that fails; the server, whose TCP keepalives and user
  timeout on that session are set to TAKEOVER, ends the session (and frees the lock) of a
  client it cannot reach. The leader steps down first (within TAKEOVER/2), so two never lead
  at once as long as their clocks tick at the same rate.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import zlib

import asyncpg

log = logging.getLogger(__name__)

LOCK_CLASS = 0x7669_6731  # "vig1": the first key of every Vigil scheduler's lock
EXIT_HUNG = 70  # the watchdog's exit status (EX_SOFTWARE)
ERRORS = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    TimeoutError,
)
PROBE_TIMEOUT_S = 1.5  # a standby's /readyz look at its connection: inside health's timeout

# The session holding this cell's lock, if its last statement is older than $3 seconds: a
# leader that pings every TAKEOVER/4 has not pinged for TAKEOVER, so it is stopped or hung.
# (The two int4 keys show in pg_locks as unsigned oids.)
_END_SILENT_HOLDER = """
SELECT a.pid, pg_terminate_backend(a.pid) AS ended
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
  AND l.classid::bigint = ($1::bigint & 4294967295) AND l.objid::bigint = ($2::bigint & 4294967295)
  AND a.pid <> pg_backend_pid()
  AND coalesce(a.query_start, a.backend_start) < now() - make_interval(secs => $3::float8)
"""


def lock_key(cell: str) -> int:
    """The second key: one lock per cell, so cells may share a database server."""
    return zlib.crc32(cell.encode()) - (1 << 31)  # an int4


class Leadership:
    """The lock connection: ask for the lock, hold it, tell when it is lost."""

    def __init__(self, database_url: str, cell: str, takeover_s: float) -> None:
        self.database_url = database_url
        self.key = lock_key(cell)
        self.takeover_s = takeover_s
        self.conn: asyncpg.Connection | None = None
        self.lost = asyncio.Event()
        self._using = asyncio.Lock()  # one statement at a time on the connection (asyncpg)
        self.leading = False
        self.pinged_at = 0.0  # monotonic time of the leader's last good ping

    async def _connect(self) -> asyncpg.Connection:
        if self.conn is None or self.conn.is_closed():
            timeout_ms = str(int(self.takeover_s * 1000))
            keepalive = str(max(1, int(self.takeover_s / 3)))
            self.conn = await asyncpg.connect(
                self.database_url,
                timeout=self.takeover_s,
                server_settings={
                    "application_name": "vigil-scheduler-lock",
                    "tcp_user_timeout": timeout_ms,
                    "tcp_keepalives_idle": keepalive,
                    "tcp_keepalives_interval": keepalive,
                    "tcp_keepalives_count": "2",
                },
            )
        return self.conn

    async def _fetch(
        self, query: str, *args: object, reconnect: bool = True, timeout: float | None = None
    ) -> object:
        async with self._using:
            if reconnect:
                conn = await self._connect()
            elif self.conn is None or self.conn.is_closed():
                raise ConnectionError("the lock connection is gone, and the lock with it")
            else:
                conn = self.conn
            try:
                return await conn.fetchval(query, *args, timeout=timeout or self.takeover_s / 4)
            except BaseException:
                # A statement cut short leaves the connection in no known state: never reuse
                # it (a leader's lock goes with it, and its next ping says so).
                conn.terminate()
                raise

    async def try_acquire(self) -> bool:
        got = await self._fetch("SELECT pg_try_advisory_lock($1, $2)", LOCK_CLASS, self.key)
        if not got and await self._end_silent_holder():
            got = await self._fetch("SELECT pg_try_advisory_lock($1, $2)", LOCK_CLASS, self.key)
        if got:
            self.lost.clear()
            self.leading, self.pinged_at = True, time.monotonic()
        return bool(got)

    async def _end_silent_holder(self) -> bool:
        """End the session of a leader that stopped pinging; True if one was ended (its
        lock is freed as the session ends, which the next try may not see yet: wait a little)."""
        async with self._using:
            conn = await self._connect()
            row = await conn.fetchrow(
                _END_SILENT_HOLDER,
                LOCK_CLASS,
                self.key,
                self.takeover_s,
                timeout=self.takeover_s / 4,
            )
        if row is None or not row["ended"]:
            return False
        log.warning(
            "the leading scheduler stopped pinging: its session ended",
            extra={"pid": row["pid"], "takeover_s": self.takeover_s},
        )
        await asyncio.sleep(0.2)
        return True

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Stand by until the lock is ours (True) or `stop` is set (False)."""
        while not stop.is_set():
            try:
                if await self.try_acquire():
                    return True
            except ERRORS as exc:
                log.warning("scheduler lock: database unreachable", extra={"error": str(exc)})
                await self._drop()
            try:
                await asyncio.wait_for(stop.wait(), self.takeover_s / 5)
            except TimeoutError:
                pass
        return False

    async def hold(self) -> None:
        """While leading: ping the lock connection; set `lost` at the first failed ping."""
        every = self.takeover_s / 4
        while True:
            await asyncio.sleep(every)
            try:  # on the same connection: a new one would not hold the lock
                await self._fetch("SELECT 1", reconnect=False)
                self.pinged_at = time.monotonic()
            except ERRORS as exc:
                log.error("scheduler lock lost: stepping down", extra={"error": str(exc)})
                await self._drop()
                self.leading = False
                self.lost.set()
                return

    async def alive(self) -> bool:
        """For /readyz: the lock connection answers. A leader's pings tell (a probe of its
        own that timed out would cost it the lock); a standby asks."""
        if self.leading:
            return time.monotonic() - self.pinged_at < self.takeover_s / 2
        return await self._fetch("SELECT 1", timeout=PROBE_TIMEOUT_S) == 1

    async def release(self) -> None:
        """Give the lock up (closing the session does it; unlocking first is faster)."""
        self.leading = False
        if self.conn is not None and not self.conn.is_closed():
            try:
                await self._fetch("SELECT pg_advisory_unlock($1, $2)", LOCK_CLASS, self.key)
            except ERRORS:
                await self._drop()

    async def close(self) -> None:
        await self._drop(graceful=True)

    async def _drop(self, graceful: bool = False) -> None:
        conn, self.conn = self.conn, None
        if conn is None or conn.is_closed():
            return
        if graceful:
            try:
                await asyncio.wait_for(conn.close(), 2)
                return
            except ERRORS:
                pass
        conn.terminate()


class Watchdog:
    """Ends the process when the leader's poll has not finished for `limit_s` seconds: a hung
    leader (a stuck event loop, or an await that never returns) would otherwise hold the lock
    for ever. A thread, so that it acts even when the event loop is what hangs; exiting
    closes the lock's socket, and the orchestrator starts the process again, as a standby."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self._armed_at: float | None = None  # monotonic time of the last finished poll
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop the polls run on
        threading.Thread(target=self._watch, name="scheduler-watchdog", daemon=True).start()

    def arm(self) -> None:
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:  # armed outside a loop: every stretch counts
            self._loop = None
        self._armed_at = time.monotonic()

    fed = arm  # a poll finished

    def disarm(self) -> None:
        self._armed_at = None

    def _watch(self) -> None:
        while True:
            time.sleep(min(1.0, self.limit_s / 4))
            armed, loop = self._armed_at, self._loop
            # A loop that is not running (stopped, or closed with the task still pending, as
            # in a test process between tests) is not a hung leader: it polls nothing and
            # holds no lock's socket open for ever. A blocked loop still counts as running.
            if loop is not None and not loop.is_running():
                continue
            if armed is not None and time.monotonic() - armed > self.limit_s:
                log.critical(
                    "scheduler hung: no poll finished in time; exiting so a standby leads",
                    extra={"limit_s": self.limit_s},
                )
                logging.shutdown()
                os._exit(EXIT_HUNG)
