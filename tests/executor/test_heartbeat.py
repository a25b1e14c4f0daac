from executor.heartbeat import ClockOffset, Tally, load, version


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


def test_the_tally_counts_the_last_minute_only() -> None:
    tally = Tally(window_s=60, bucket_s=5)
    for t in (0.0, 1.0, 2.0):
        tally.add(network_failure=True, now=t)
    tally.add(network_failure=False, now=30.0)
    assert tally.totals(now=31.0) == (4, 3)
    assert tally.totals(now=62.0) == (1, 0)  # the first bucket is out of the window
    assert tally.totals(now=200.0) == (0, 0)
