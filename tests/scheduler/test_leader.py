"""The scheduler's leadership lock against the real PostgreSQL, and its watchdog."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

import asyncpg
import pytest

from scheduler.leader import EXIT_HUNG, Leadership, lock_key
from tests.helpers import short_name

pytestmark = pytest.mark.integration

TAKEOVER_S = 2.0


async def test_one_leads_per_cell_and_another_cell_has_its_own_lock(database_url: str) -> None:
    cell = short_name("c")
    first, second = (Leadership(database_url, cell, TAKEOVER_S) for _ in range(2))
    other = Leadership(database_url, short_name("c"), TAKEOVER_S)
    try:
        assert await first.try_acquire()
        assert not await second.try_acquire()
        assert await other.try_acquire()
        await first.release()
        assert await second.try_acquire()
    finally:
        for lead in (first, second, other):
            await lead.close()


async def test_a_leader_cut_off_from_the_database_steps_down_and_the_standby_leads(
    database_url: str,
) -> None:
    cell = short_name("c")
    leader, standby = (
        Leadership(database_url, cell, TAKEOVER_S),
        Leadership(database_url, cell, TAKEOVER_S),
    )
    stop = asyncio.Event()
    admin = await asyncpg.connect(database_url)
    try:
        assert await leader.try_acquire()
        holding = asyncio.create_task(leader.hold())
        waiting = asyncio.create_task(standby.acquire(stop))
        await asyncio.sleep(TAKEOVER_S / 2)
        assert not waiting.done(), "the standby led while the leader held the lock"
        assert leader.conn is not None
        # What a lost connection does to the session: the server ends it.
        await admin.execute("SELECT pg_terminate_backend($1)", leader.conn.get_server_pid())
        await asyncio.wait_for(leader.lost.wait(), TAKEOVER_S)
        assert await asyncio.wait_for(waiting, TAKEOVER_S), "the standby did not lead"
        await holding
    finally:
        stop.set()
        await admin.close()
        await leader.close()
        await standby.close()


def test_lock_keys_are_int4_and_differ_by_cell() -> None:
    keys = {lock_key(c) for c in ("a", "b", "eu-1", "x" * 64)}
    assert len(keys) == 4 and all(-(2**31) <= k < 2**31 for k in keys)


def test_the_watchdog_ends_a_process_whose_loop_hangs() -> None:
    program = textwrap.dedent("""
        import time
        from scheduler.leader import Watchdog
        dog = Watchdog(1.0)
        dog.arm()
        time.sleep(30)  # a poll that never finishes, the event loop blocked with it
        print("not ended")
    """)
    proc = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=20
    )
    assert proc.returncode == EXIT_HUNG, proc.stdout + proc.stderr
    assert "not ended" not in proc.stdout


def test_the_watchdog_ends_a_process_whose_event_loop_is_blocked() -> None:
    program = textwrap.dedent("""
        import asyncio, time
        from scheduler.leader import Watchdog
        async def main():
            dog = Watchdog(1.0)
            dog.arm()
            time.sleep(30)  # the loop runs, blocked in a call that never returns
        asyncio.run(main())
        print("not ended")
    """)
    proc = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=20
    )
    assert proc.returncode == EXIT_HUNG, proc.stdout + proc.stderr
    assert "not ended" not in proc.stdout


def test_a_watchdog_whose_loop_stopped_lets_the_process_live() -> None:
    # A test process keeps one loop for the session: between async tests it does not run,
    # and a leader task left pending there must not end the whole run.
    program = textwrap.dedent("""
        import asyncio, time
        from scheduler.leader import Watchdog
        loop = asyncio.new_event_loop()
        async def lead():
            Watchdog(1.0).arm()
        loop.run_until_complete(lead())
        time.sleep(3)  # the loop armed it, and runs no more
        print("alive")
    """)
    proc = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=20
    )
    assert proc.returncode == 0 and "alive" in proc.stdout, proc.stderr


def test_a_fed_watchdog_lets_the_process_live() -> None:
    program = textwrap.dedent("""
        import time
        from scheduler.leader import Watchdog
        dog = Watchdog(1.0)
        dog.arm()
        for _ in range(6):
            time.sleep(0.5)
            dog.fed()
        dog.disarm()
        time.sleep(1.5)
        print("alive")
    """)
    proc = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=20
    )
    assert proc.returncode == 0 and "alive" in proc.stdout, proc.stderr
