"""Deadlines on one coarse timer behave like asyncio.timeout."""

import asyncio

import pytest

from executor.deadlines import Deadlines


async def test_a_block_past_its_deadline_raises_timeout_error() -> None:
    deadlines = Deadlines()
    started = asyncio.get_running_loop().time()
    with pytest.raises(TimeoutError):
        with deadlines.within(0.05):
            await asyncio.sleep(5)
    took = asyncio.get_running_loop().time() - started
    assert 0.05 <= took < 1.0
    assert asyncio.current_task().cancelling() == 0  # the cancellation was ours and is undone


async def test_a_block_done_in_time_is_left_alone() -> None:
    deadlines = Deadlines()
    with deadlines.within(0.05):
        await asyncio.sleep(0)
    await asyncio.sleep(0.2)  # past the deadline: the task must not be cancelled now
    assert deadlines.pending() == 0  # the entry went at its time, and so did the timer


async def test_someone_elses_cancellation_goes_through() -> None:
    deadlines = Deadlines()

    async def body() -> None:
        with deadlines.within(0.1):
            await asyncio.sleep(5)

    task = asyncio.create_task(body())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_many_blocks_each_get_their_own_deadline() -> None:
    deadlines = Deadlines()

    async def sleeper(limit: float, nap: float) -> str:
        try:
            with deadlines.within(limit):
                await asyncio.sleep(nap)
        except TimeoutError:
            return "timeout"
        return "done"

    got = await asyncio.gather(
        *(sleeper(0.05, 1) for _ in range(50)), *(sleeper(1, 0.01) for _ in range(50))
    )
    assert got == ["timeout"] * 50 + ["done"] * 50


def test_outside_a_task_is_refused() -> None:
    deadlines = Deadlines()
    with pytest.raises(RuntimeError):
        deadlines.within(1).__enter__()
