"""The ping state machine of a heartbeat test: new, up, down, starts and ends, rid pairing,
runs longer than 72 hours, pauses."""

import pytest

from result_processor.pings import Beat, deadlines, step
from shared.heartbeat import FAIL, LOG, START, SUCCESS, Schedule
from shared.messages import Ping, Status

pytestmark = pytest.mark.unit

T0 = 1_790_000_000_000
HOUR = 3_600_000
SCHEDULE = Schedule(period_s=3600, grace_s=600)


def ping(kind: str, at: int, rid: str | None = None, exit_status: int | None = None) -> Ping:
    return Ping(7, at, kind, exit_status, rid)


def test_a_new_test_awaits_nothing_until_its_first_ping() -> None:
    beat = Beat()
    assert deadlines(beat, SCHEDULE) == (None, None)
    out = step(beat, ping(SUCCESS, T0))
    assert out.result is not None and out.result.status is Status.UP
    assert out.result.latency_ms is None  # no start: no duration
    assert beat.state == "up"
    assert deadlines(beat, SCHEDULE) == (T0 + HOUR, T0 + HOUR + 600_000)


def test_fail_and_a_nonzero_exit_status_are_down_at_once_and_await_nothing() -> None:
    beat = Beat()
    out = step(beat, ping(FAIL, T0))
    assert out.result.status is Status.DOWN and out.result.error_kind == "ping_fail"
    assert beat.state == "down" and deadlines(beat, SCHEDULE) == (None, None)
    step(beat, ping(SUCCESS, T0 + 1000, exit_status=0))
    assert beat.state == "up"
    out = step(beat, ping(SUCCESS, T0 + 2000, exit_status=3))
    assert out.result.status is Status.DOWN and out.result.error_kind == "exit_status"
    assert out.result.extras == {"ping": SUCCESS, "exit_status": 3}
    assert "3" in out.result.error


def test_start_then_end_gives_the_duration_and_a_start_without_end_is_due_within_grace() -> None:
    beat = Beat(state="up", last_success_ms=T0)
    assert step(beat, ping(START, T0 + 10 * 60_000)).result is None
    assert deadlines(beat, SCHEDULE) == (T0 + HOUR, T0 + 20 * 60_000)  # start + grace
    out = step(beat, ping(SUCCESS, T0 + 12 * 60_000))
    assert out.duration_ms == 120_000 and out.result.latency_ms == 120_000
    assert beat.starts == {}
    assert deadlines(beat, SCHEDULE)[1] == T0 + 12 * 60_000 + HOUR + 600_000


def test_an_end_without_a_start_has_no_duration() -> None:
    beat = Beat()
    assert step(beat, ping(SUCCESS, T0, rid="r1")).duration_ms is None


def test_rid_pairs_each_end_with_its_own_start() -> None:
    beat = Beat()
    step(beat, ping(START, T0, rid="a"))
    step(beat, ping(START, T0 + 5000, rid="b"))
    assert step(beat, ping(SUCCESS, T0 + 6000, rid="a")).duration_ms == 6000
    assert step(beat, ping(FAIL, T0 + 9000, rid="b")).duration_ms == 4000
    assert step(beat, ping(SUCCESS, T0 + 9500)).duration_ms is None  # no start without rid


def test_a_run_longer_than_72_hours_is_unrelated() -> None:
    beat = Beat()
    step(beat, ping(START, T0))
    out = step(beat, ping(SUCCESS, T0 + 72 * HOUR + 1))
    assert out.duration_ms is None and beat.starts == {}
    step(beat, ping(START, T0 + 100 * HOUR))
    assert step(beat, ping(SUCCESS, T0 + 172 * HOUR)).duration_ms == 72 * HOUR


def test_log_changes_nothing() -> None:
    beat = Beat(state="down")
    assert step(beat, ping(LOG, T0)).result is None
    assert beat.state == "down"


def test_a_paused_test_keeps_results_but_awaits_nothing() -> None:
    beat = Beat(enabled=False)
    assert step(beat, ping(SUCCESS, T0)).result.status is Status.UP
    assert deadlines(beat, SCHEDULE) == (None, None)


def test_starts_are_bounded() -> None:
    beat = Beat()
    for i in range(15):
        step(beat, ping(START, T0 + i, rid=f"r{i}"))
    assert len(beat.starts) == 10 and "r0" not in beat.starts and "r14" in beat.starts
