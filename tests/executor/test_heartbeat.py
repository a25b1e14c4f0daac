from executor.heartbeat import ClockOffset, load, version


def test_clock_offset_is_the_smallest_recent_sample() -> None:
    clock = ClockOffset(keep=3)
    assert clock.estimate() is None
    clock.sample(1_000, 1_250)  # 250 ms: offset plus a long wait in a queue
    clock.sample(2_000, 2_040)
    clock.sample(3_000, 3_900)
    assert clock.estimate() == 40
    for i in range(3):  # old samples age out
        clock.sample(10_000 + i, 10_000 + i + 100)
    assert clock.estimate() == 100


def test_load_and_version_are_plain_values() -> None:
    assert load() >= 0 and isinstance(version(), str) and version()
