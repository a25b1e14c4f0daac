from scheduler.plan import NodePlan, by_region, per_region
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


def test_by_region_groups_tests() -> None:
    grouped = by_region([_spec(1, "eu"), _spec(2, "us"), _spec(3, "eu")])
    assert {r: sorted(d) for r, d in grouped.items()} == {"eu": [1, 3], "us": [2]}


def test_a_test_of_several_regions_is_one_spec_per_region_naming_them_all() -> None:
    specs = per_region(_spec(7, ""), ["eu", "us", "eu"])
    assert [(s.region, s.regions) for s in specs] == [("eu", ("eu", "us")),
                                                      ("us", ("eu", "us"))]
    grouped = by_region(specs)
    assert set(grouped) == {"eu", "us"} and all(list(d) == [7] for d in grouped.values())


def test_a_single_region_spec_names_no_regions() -> None:
    [spec] = per_region(_spec(7, ""), ["eu"])
    assert (spec.region, spec.regions) == ("eu", ())
