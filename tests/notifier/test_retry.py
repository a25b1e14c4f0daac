from notifier.retry import backoff_ms, park_ms, steps


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_ms(a, 100, 1000) for a in range(1, 7)] == [100, 200, 400, 800, 1000, 1000]
    assert backoff_ms(500, 100, 1000) == 1000  # no overflow on absurd attempt numbers


def test_steps_are_the_delays_a_delivery_may_wait() -> None:
    assert steps(6, 100, 1000) == [100, 200, 400, 800, 1000]
    assert steps(1, 100, 1000) == [100]  # one delay queue even without retries, for parking


def test_an_early_copy_waits_in_the_shortest_queue_that_is_long_enough() -> None:
    assert park_ms(0, [100, 200, 400]) == 100
    assert park_ms(150, [100, 200, 400]) == 200
    assert park_ms(10_000, [100, 200, 400]) == 400
