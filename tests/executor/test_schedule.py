from collections import Counter

from executor.schedule import next_due_ms, offset_ms


def test_offsets_spread_over_the_interval() -> None:
    interval = 60
    buckets = Counter(offset_ms(i, interval) // 6000 for i in range(1, 60_001))
    assert len(buckets) == 10
    assert max(buckets.values()) < 1.1 * 6000 and min(buckets.values()) > 0.9 * 6000


def test_next_due_is_on_the_grid_and_strictly_later() -> None:
    for test_id in (1, 2, 99, 123456):
        off = offset_ms(test_id, 30)
        t = 1_790_000_000_123
        due = next_due_ms(test_id, 30, t)
        assert t < due <= t + 30_000
        assert (due - off) % 30_000 == 0


def test_cadence_does_not_drift_when_checks_run_late() -> None:
    due = next_due_ms(5, 10, 1_790_000_000_000)
    grid = [due]
    for _ in range(100):
        late_finish = grid[-1] + 7_500  # each check takes 7.5 s of a 10 s interval
        grid.append(next_due_ms(5, 10, max(late_finish, grid[-1])))
    assert [b - a for a, b in zip(grid, grid[1:], strict=False)] == [10_000] * 100


def test_the_slot_after_a_slot_is_the_next_grid_time() -> None:
    from executor.schedule import slot_after

    for test_id in (1, 7, 99, 123456, 2**40):
        for interval in (10, 30, 60, 3600):
            due = next_due_ms(test_id, interval, 1_790_000_000_123 + test_id)
            assert slot_after(due, interval) == next_due_ms(test_id, interval, due)
