"""Runs every held test on its own timer, one small task per check.

Memory per test is its spec and one heap entry, not a sleeping task, so a process can hold
a hundred thousand tests. Each check runs in its own task under a backstop and a catch-all:
a check that hangs or raises costs its own result, never another test's.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import replace

from executor import checks, confirm, schedule
from executor.checks.base import CheckContext, Outcome
from executor.metrics import CHECKS, LATENESS, TESTS_HELD
from shared import checkspec
from shared.messages import CHECK_NOW_EXTRA, Result, Status, TestSpec

log = logging.getLogger(__name__)

BACKSTOP_GRACE_S = 5.0  # a check is cut off this long after its own timeouts should have
SWEEP_MS = 1000  # how often overrunning checks are looked for

ResultSink = Callable[[str, Result], None]  # (cell, result)
Observe = Callable[[float], None]  # seconds a check started after its slot
AskOthers = Callable[[TestSpec, int], None]  # (a failing test, when its check started)


def _observe_lateness(seconds: float) -> None:
    LATENESS.observe(seconds)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _kept(spec: TestSpec) -> TestSpec:
    """The spec with its config validated once rather than at each check: held in the compact
    form `validate` passes at once (shared.checkspec.Valid). A config that is not valid is
    held as it came, and each check reports why."""
    try:
        return replace(spec, config=checkspec.keep(spec.kind, spec.config))
    except Exception:  # not valid (or not even a mapping): never a reason not to hold it
        return spec


class Dispatcher:
    def __init__(
        self,
        ctx: CheckContext,
        sink: ResultSink,
        max_in_flight: int = 4096,
        observe: Observe = _observe_lateness,
        ask: AskOthers | None = None,
        grace_s: float = BACKSTOP_GRACE_S,
    ) -> None:
        self._ctx = ctx
        self._sink = sink
        self._observe = observe
        self._ask = ask
        self._failing: set[tuple[str, int]] = set()  # tests whose last check here failed
        self._held: dict[tuple[str, int], tuple[TestSpec, int]] = {}  # key -> (spec, token)
        self._heap: list[tuple[int, int, str, int]] = []  # (due_ms, token, cell, test id)
        self._tokens = itertools.count(1)
        self._running: set[tuple[str, int]] = set()
        self._max_in_flight = max_in_flight
        self._waiting: deque[tuple[TestSpec, int, str | None]] = deque()  # over the limit
        self._tasks: dict[asyncio.Task[None], float] = {}  # running check -> its backstop
        self._overran: set[asyncio.Task[None]] = set()
        self._grace = grace_s
        self._wake = asyncio.Event()
        self._counted: Counter[tuple[str, Status]] = Counter()  # since the last sweep

    # --- what is held ----------------------------------------------------------------------

    def upsert(self, spec: TestSpec) -> None:
        key = (spec.cell, spec.id)
        current = self._held.get(key)
        if current and current[0] == spec:
            return
        token = next(self._tokens)  # older heap entries of this test become stale
        self._held[key] = (spec, token)
        TESTS_HELD.set(len(self._held))
        due = schedule.next_due_ms(spec.id, spec.interval_s, now_ms())
        heapq.heappush(self._heap, (due, token, spec.cell, spec.id))
        self._wake.set()

    def remove(self, cell: str, test_id: int) -> None:
        self._held.pop((cell, test_id), None)
        self._failing.discard((cell, test_id))
        TESTS_HELD.set(len(self._held))

    def replace_cell(self, cell: str, specs: list[TestSpec]) -> None:
        keep = {s.id for s in specs}
        for key in [k for k in self._held if k[0] == cell and k[1] not in keep]:
            self.remove(*key)
        for spec in specs:
            self.upsert(spec)

    def held(self, cell: str | None = None) -> list[TestSpec]:
        return [s for (c, _), (s, _) in self._held.items() if cell is None or c == cell]

    # --- the timer loop --------------------------------------------------------------------

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        sweep_at = 0
        while True:
            now = now_ms()
            while self._heap and self._heap[0][0] <= now:
                self._fire(*heapq.heappop(self._heap))
            if now >= sweep_at:
                self._sweep(loop.time())
                sweep_at = now + SWEEP_MS
            self._wake.clear()
            until = min(
                self._heap[0][0] if self._heap else now + 3_600_000,
                sweep_at if self._tasks else now + 3_600_000,
            )
            # A bare timer, not wait_for: this loop wakes thousands of times a second.
            timer = loop.call_later((until - now) / 1000, self._wake.set)
            await self._wake.wait()
            timer.cancel()

    def _fire(self, due: int, token: int, cell: str, test_id: int) -> None:
        key = (cell, test_id)
        held = self._held.get(key)
        if held is None or held[1] != token:
            return  # removed or changed since this entry was pushed
        spec = held[0]
        if not isinstance(spec.config, checkspec.Valid):
            # At its first check rather than in upsert: a big assignment makes no pause.
            spec = _kept(spec)
            self._held[key] = (spec, token)
        heapq.heappush(
            self._heap, (schedule.slot_after(due, spec.interval_s), token, cell, test_id)
        )
        if key in self._running:
            return  # the previous check is still going: skip this slot, keep the grid
        self._start(spec, due)

    def _start(self, spec: TestSpec, due: int, asked_by: str | None = None) -> None:
        self._running.add((spec.cell, spec.id))
        if len(self._tasks) < self._max_in_flight:
            self._launch(spec, due, asked_by)
        else:
            self._waiting.append((spec, due, asked_by))  # launched as running checks end

    def _launch(self, spec: TestSpec, due: int, asked_by: str | None) -> None:
        task = asyncio.create_task(self._check(spec, due, asked_by))
        # A backstop over the check's own timeouts, retries included; see _sweep.
        backstop = spec.timeout_s * (1 + confirm.retries_of(spec)) + self._grace
        self._tasks[task] = task.get_loop().time() + backstop
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        del self._tasks[task]
        self._overran.discard(task)
        if self._waiting and len(self._tasks) < self._max_in_flight:
            self._launch(*self._waiting.popleft())

    def _sweep(self, now: float) -> None:
        """Cancel the checks that overran their backstop (each ends with a timeout result).
        A sweep a second instead of a timer per check: thousands of checks start a second."""
        self._count()
        for task, backstop in self._tasks.items():
            if backstop < now and task not in self._overran:
                self._overran.add(task)
                task.cancel()

    def check_now(self, cell: str, test_id: int, asked_by: str) -> bool:
        """Check a test at once, off its grid, because region `asked_by` saw it fail. False
        if it is not held here, or a check of it is already running (its result will do)."""
        held = self._held.get((cell, test_id))
        if held is None or (cell, test_id) in self._running:
            return False
        self._start(held[0], now_ms(), asked_by)
        return True

    async def _check(self, spec: TestSpec, due: int, asked_by: str | None = None) -> None:
        try:
            self._observe((now_ms() - due) / 1000)
            outcome = await self._guarded(spec)
            self._counted[spec.kind, outcome.status] += 1
            extras = outcome.extras
            if asked_by is not None:
                extras = {**(extras or {}), CHECK_NOW_EXTRA: asked_by}
            self._sink(
                spec.cell,
                Result(
                    spec.id,
                    due,
                    outcome.status,
                    outcome.latency_ms,
                    outcome.http_status,
                    outcome.error_kind,
                    outcome.error,
                    extras,
                ),
            )
            self._after(spec, outcome, due, asked_by)
        finally:
            self._running.discard((spec.cell, spec.id))

    def _after(self, spec: TestSpec, outcome: Outcome, due: int, asked_by: str | None) -> None:
        """On a new failure of a test that runs in other regions too, ask them to check it
        now. Only on the change (not at every failing check), never for a check that was
        itself asked for (no ping-pong), and not for failures of the test's own making."""
        key = (spec.cell, spec.id)
        if outcome.status is Status.UP:
            self._failing.discard(key)
            return
        new = key not in self._failing
        self._failing.add(key)
        if (
            new
            and asked_by is None
            and self._ask is not None
            and len(spec.regions) > 1
            and outcome.error_kind not in confirm.NOT_RETRIED
        ):
            self._ask(spec, due)

    def _count(self) -> None:
        """Checks done since the last sweep into the Prometheus counter: once a second, not
        once a check (each inc takes a lock)."""
        for (kind, status), n in self._counted.items():
            CHECKS.labels(kind, status.label).inc(n)
        self._counted.clear()

    async def _guarded(self, spec: TestSpec) -> Outcome:
        try:
            return await confirm.confirmed(checks.get(spec.kind), spec, self._ctx)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task not in self._overran:
                raise  # stopping
            task.uncancel()  # type: ignore[union-attr]
            return Outcome.failed("timeout", f"check overran its {spec.timeout_s} s timeout")
        except checks.UnknownCheck as exc:
            return Outcome.failed("unsupported", str(exc))
        except Exception as exc:
            log.exception("check crashed", extra={"test_id": spec.id, "kind": spec.kind})
            return Outcome.failed("internal", f"{type(exc).__name__}: {exc}")

    async def stop(self) -> None:
        self._count()
        self._waiting.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
