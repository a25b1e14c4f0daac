import asyncio
from collections.abc import Iterator

import aiohttp
import pytest

from executor import checks
from executor.checks.base import CheckContext, Outcome
from executor.dispatcher import Dispatcher
from shared.messages import Result, Status, TestSpec


async def _up(spec: TestSpec, ctx: CheckContext) -> Outcome:
    return Outcome(Status.UP, 1.0)


async def _hang(spec: TestSpec, ctx: CheckContext) -> Outcome:
    await asyncio.sleep(3600)
    raise AssertionError("unreachable")


async def _crash(spec: TestSpec, ctx: CheckContext) -> Outcome:
    raise RuntimeError("boom")


@pytest.fixture
def fake_kinds(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(checks, "_loaded", {"up": _up, "hang": _hang, "crash": _crash})
    yield


def _spec(i: int, kind: str, interval: int = 1, timeout: float = 0.2) -> TestSpec:
    return TestSpec(i, "a", "local", kind, interval, timeout, {}, 1)


async def _collect(specs: list[TestSpec], seconds: float) -> list[Result]:
    got: list[Result] = []
    async with aiohttp.ClientSession() as session:
        d = Dispatcher(CheckContext(session, 1024, True), lambda cell, r: got.append(r))
        for spec in specs:
            d.upsert(spec)
        runner = asyncio.create_task(d.run())
        await asyncio.sleep(seconds)
        runner.cancel()
        await d.stop()
    return got


async def test_a_hanging_or_crashing_check_does_not_disturb_the_others(fake_kinds) -> None:
    got = await _collect([_spec(1, "up"), _spec(2, "hang", timeout=0.1), _spec(3, "crash")], 2.6)
    by_test = {i: [r for r in got if r.test_id == i] for i in (1, 2, 3)}
    assert len(by_test[1]) >= 2 and all(r.status is Status.UP for r in by_test[1])
    assert by_test[3] and all(r.error_kind == "internal" for r in by_test[3])
    # The hung check is cut off by the dispatcher's backstop (timeout + 5 s): no result
    # yet, and no second copy started while it hangs.
    assert by_test[2] == []


async def test_checks_fire_on_their_grid(fake_kinds) -> None:
    got = await _collect([_spec(1, "up")], 3.2)
    times = [r.checked_at_ms for r in got]
    assert len(times) >= 3
    assert all(b - a == 1000 for a, b in zip(times, times[1:], strict=False))


async def test_unknown_kind_reports_unsupported(fake_kinds) -> None:
    got = await _collect([_spec(1, "smoke-signals")], 1.2)
    assert got and got[0].error_kind == "unsupported"


async def test_removed_and_replaced_tests_stop_running(fake_kinds) -> None:
    got: list[Result] = []
    async with aiohttp.ClientSession() as session:
        d = Dispatcher(CheckContext(session, 1024, True), lambda cell, r: got.append(r))
        d.replace_cell("a", [_spec(1, "up"), _spec(2, "up")])
        d.remove("a", 1)
        d.replace_cell("a", [_spec(2, "up"), _spec(3, "up")])
        assert sorted(s.id for s in d.held()) == [2, 3]
        runner = asyncio.create_task(d.run())
        await asyncio.sleep(1.2)
        runner.cancel()
        await d.stop()
    assert {r.test_id for r in got} == {2, 3}


def _no_client() -> CheckContext:
    return CheckContext(None, 1024, True)  # type: ignore[arg-type]  # fake checks need none


async def test_a_check_that_overruns_its_backstop_is_cut_off_with_a_timeout(fake_kinds) -> None:
    got: list[Result] = []
    d = Dispatcher(_no_client(), lambda cell, r: got.append(r), grace_s=0.2)
    d.upsert(_spec(1, "hang", interval=60, timeout=0.1))  # backstop: 0.1 s x 2 tries + 0.2 s
    runner = asyncio.create_task(d.run())
    try:
        assert d.check_now("a", 1, "elsewhere")
        async with asyncio.timeout(5):  # the sweep runs once a second
            while not got:
                await asyncio.sleep(0.05)
    finally:
        runner.cancel()
        await d.stop()
    assert (got[0].status, got[0].error_kind) == (Status.DOWN, "timeout")
    assert "overran" in got[0].error
    assert d.check_now("a", 1, "elsewhere")  # no longer counted as running


async def test_checks_over_the_in_flight_limit_wait_their_turn(fake_kinds, monkeypatch) -> None:
    running, most = 0, 0

    async def nap(spec: TestSpec, ctx: CheckContext) -> Outcome:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.05)
        running -= 1
        return Outcome(Status.UP, 50.0)

    monkeypatch.setitem(checks._loaded, "nap", nap)
    got: list[Result] = []
    d = Dispatcher(_no_client(), lambda cell, r: got.append(r), max_in_flight=2)
    for i in range(1, 7):
        d.upsert(_spec(i, "nap", interval=60))
        assert d.check_now("a", i, "elsewhere")
    assert not d.check_now("a", 1, "elsewhere")  # waiting counts as running
    async with asyncio.timeout(5):
        while len(got) < 6:
            await asyncio.sleep(0.02)
    await d.stop()
    assert most == 2 and sorted(r.test_id for r in got) == [1, 2, 3, 4, 5, 6]
