"""Check now, on the node: a new failure of a test of several regions asks the others; a
request runs the check at once and marks its result."""

import asyncio
from collections.abc import Iterator

import aiohttp
import pytest

from executor import checks
from executor.checks.base import CheckContext, Outcome
from executor.dispatcher import Dispatcher
from shared.messages import CHECK_NOW_EXTRA, Result, Status, TestSpec
from tests.helpers import eventually as _eventually

STATE = {"status": Status.DOWN, "kind": "refused"}


async def _switch(spec: TestSpec, ctx: CheckContext) -> Outcome:
    if STATE["status"] is Status.UP:
        return Outcome(Status.UP, 1.0)
    return Outcome.failed(str(STATE["kind"]), "switched off")


@pytest.fixture
def switch(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    monkeypatch.setattr(checks, "_loaded", {"switch": _switch})
    STATE.update(status=Status.DOWN, kind="refused")
    yield STATE


def _spec(i: int, regions: tuple[str, ...] = ("eu", "us")) -> TestSpec:
    # An hour's interval: only check_now runs it during the test (its grid slot is far off,
    # unless the hash puts it within the test's few seconds: then it is one more result).
    return TestSpec(i, "a", "eu", "switch", 3600, 1.0, {"retries": 0}, 1, regions=regions)


async def eventually(condition, what: str) -> None:
    async def probe() -> bool:
        return bool(condition())

    await _eventually(probe, what, timeout=10, every=0.01)


def _fire(node: "_Node", test_id: int, at_ms: int) -> None:
    """A regular check of the grid, as the timer loop starts it."""
    node.d._start(node.d._held[("a", test_id)][0], at_ms)


class _Node:
    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.results: list[Result] = []
        self.asked: list[tuple[int, int]] = []
        self.d = Dispatcher(
            CheckContext(session, 1024, True),
            lambda cell, r: self.results.append(r),
            ask=lambda spec, at: self.asked.append((spec.id, at)),
        )


@pytest.fixture
async def node() -> _Node:
    async with aiohttp.ClientSession() as session:
        yield _Node(session)


async def _run(node: _Node, test_id: int, asked_by: str) -> Result:
    before = len(node.results)
    assert node.d.check_now("a", test_id, asked_by)
    await eventually(lambda: len(node.results) > before, "the check-now result")
    return node.results[-1]


async def test_a_check_now_runs_at_once_and_says_who_asked(switch, node) -> None:
    node.d.upsert(_spec(1))
    result = await _run(node, 1, "us")
    assert result.status is Status.DOWN and result.extras[CHECK_NOW_EXTRA] == "us"
    assert node.asked == []  # a check asked for never asks in turn: no ping-pong
    assert not node.d.check_now("a", 99, "us")  # not held here


async def test_a_new_failure_asks_once_until_the_test_recovers(switch, node) -> None:
    node.d.upsert(_spec(2))
    _fire(node, 2, 1_000)
    await eventually(lambda: node.asked, "the ask")
    assert node.asked == [(2, 1_000)]
    _fire(node, 2, 2_000)
    await eventually(lambda: len(node.results) == 2, "the second result")
    assert len(node.asked) == 1  # still failing: no second ask
    switch["status"] = Status.UP
    _fire(node, 2, 3_000)
    await eventually(lambda: len(node.results) == 3, "the recovery")
    switch["status"] = Status.DOWN
    _fire(node, 2, 4_000)
    await eventually(lambda: len(node.asked) == 2, "a new failure, a new ask")


@pytest.mark.parametrize(
    "spec, kind",
    [
        (_spec(3, regions=()), "refused"),  # runs in this region only
        (_spec(4), "config"),  # a failure of the test's own making: no other region can help
    ],
)
async def test_no_ask_where_no_other_region_can_help(switch, node, spec, kind) -> None:
    switch["kind"] = kind
    node.d.upsert(spec)
    _fire(node, spec.id, 1_000)
    await eventually(lambda: node.results, "the result")
    await asyncio.sleep(0)
    assert node.asked == []
