from scheduler.plan import NodePlan
from shared.messages import TestSpec


def _spec(i: int, region: str = "eu", version: int = 1) -> TestSpec:
    return TestSpec(i, "a", region, "http", 60, 5.0, {"url": f"http://x/{i}"}, version)


def test_diff_sends_adds_changes_and_removals_only() -> None:
    plan = NodePlan(sent={1: _spec(1), 2: _spec(2), 3: _spec(3)})
    wanted = {1: _spec(1), 2: _spec(2, version=2), 4: _spec(4)}
    upserts, removals = plan.diff(wanted)
    assert sorted(s.id for s in upserts) == [2, 4]
    assert removals == [3]


def test_no_change_no_message() -> None:
    plan = NodePlan(sent={1: _spec(1)})
    assert plan.diff({1: _spec(1)}) == ([], [])
