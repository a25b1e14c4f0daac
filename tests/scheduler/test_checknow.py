"""Who is asked to check a test now: the live node holding it in each other region."""

from scheduler.checknow import targets
from scheduler.plan import NodePlan
from shared.messages import TestSpec


def _plan(*test_ids: int) -> NodePlan:
    return NodePlan(1, {i: TestSpec(i, "a", "x", "http", 60, 5.0, {}, 1) for i in test_ids})


def test_the_holders_in_other_live_regions_are_asked() -> None:
    plans = {
        ("eu", "n1"): _plan(1, 2),
        ("eu", "n2"): _plan(3),
        ("us", "m1"): _plan(1),
        ("us", "m2"): _plan(2),
        ("ap", "k1"): _plan(1),
        ("sa", "s1"): _plan(1),
    }
    dead = {("sa", "s1")}
    asked = targets(plans, 1, "eu", lambda r, n: (r, n) not in dead)
    assert asked == [("ap", "k1"), ("us", "m1")]  # never the asking region, never the dead
    assert targets(plans, 3, "eu", lambda r, n: True) == []  # held in the asker's only
    assert targets(plans, 9, "eu", lambda r, n: True) == []  # unknown here
