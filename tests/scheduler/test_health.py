"""When a node is broken (its results do not count), from its heartbeats: pure rules."""

from scheduler.health import PREFIX, Signs, broken_reason

FINE = Signs(clock_offset_ms=5, checks=40, network_failures=0)
CUT_OFF = Signs(clock_offset_ms=5, checks=40, network_failures=40)


def test_a_clock_off_by_more_than_the_limit_is_broken_either_way() -> None:
    for offset in (30_001, -45_000):
        reason = broken_reason(Signs(clock_offset_ms=offset), [], 30)
        assert reason is not None and reason.startswith(PREFIX) and "clock" in reason
    assert broken_reason(Signs(clock_offset_ms=29_999), [], 30) is None
    assert broken_reason(Signs(clock_offset_ms=None), [], 30) is None  # not known yet


def test_a_node_that_reaches_nothing_while_its_region_does_is_broken() -> None:
    reason = broken_reason(CUT_OFF, [FINE], 30)
    assert reason is not None and "network" in reason


def test_not_broken_when_the_whole_region_fails_or_one_check_got_through() -> None:
    assert broken_reason(CUT_OFF, [CUT_OFF], 30) is None  # the targets are down
    assert broken_reason(CUT_OFF, [], 30) is None  # nobody to compare with
    assert broken_reason(Signs(5, 40, 39), [FINE], 30) is None  # one check got through
    assert broken_reason(Signs(5, 2, 2), [FINE], 30) is None  # too few checks to say
    assert broken_reason(Signs(5, None, None), [FINE], 30) is None  # an older node
    assert broken_reason(CUT_OFF, [Signs(5, 0, 0)], 30) is None  # a peer that checked nothing
