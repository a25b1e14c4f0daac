"""The scheduler's in-memory tests and the per-test deltas it sends (pure: no services)."""

import logging
import random
from dataclasses import dataclass, field
from typing import Any

from benchmark.scheduler import per_region
from scheduler.plan import NodePlan, changes
from scheduler.spread import split
from scheduler.view import TestView, problem
from shared.messages import TestSpec


@dataclass
class _Row:
    id: int
    regions: list[str] = field(default_factory=lambda: ["eu"])
    config: Any = field(default_factory=lambda: {"url": "http://x/"})
    interval_s: int = 60
    version: int = 1
    enabled: bool = True
    kind: str = "http"
    timeout_s: float = 5.0


def _held(view: TestView) -> dict[str, list[int]]:
    return {r: sorted(specs) for r, specs in view.regions.items() if specs}


def test_apply_reports_what_changed_where_and_nothing_for_a_row_read_again() -> None:
    view = TestView("a")
    view.replace([_Row(1), _Row(2, ["eu", "us"])])
    assert _held(view) == {"eu": [1, 2], "us": [2]}
    assert view.apply([_Row(1), _Row(2, ["eu", "us"])], []) == {}  # read again: no change
    assert view.apply([_Row(1, interval_s=30)], []) == {"eu": {1}}  # no version bump needed
    assert view.apply([_Row(2, ["us"])], []) == {"eu": {2}, "us": {2}}
    assert _held(view) == {"eu": [1], "us": [2]}
    assert view.apply([_Row(1, enabled=False)], [2]) == {"eu": {1}, "us": {2}}
    assert _held(view) == {} and len(view) == 0
    assert view.apply([], [2, 99]) == {}  # deleting what is not held changes nothing
    assert view.regions.get("eu") == {}


def test_a_row_that_cannot_be_sent_is_left_out_logged_once_and_taken_when_fixed(caplog) -> None:
    view = TestView("a")
    caplog.set_level(logging.INFO, "scheduler.view")
    view.replace([_Row(1), _Row(2, config=[1, 2]), _Row(3, config={"n": 2**70})])
    assert _held(view) == {"eu": [1]}
    assert set(view.rejected) == {2, 3} and "list" in view.rejected[2]
    view.apply([_Row(2, config=[1, 2])], [])  # the same bad row read again: not logged again
    view.replace([_Row(1), _Row(2, config=[1, 2]), _Row(3, config={"n": 2**70})])
    assert sum("left out" in r.message for r in caplog.records) == 2
    assert view.apply([_Row(2, config={"url": "http://y/"})], [3]) == {"eu": {2}}
    assert _held(view) == {"eu": [1, 2]} and view.rejected == {}
    assert any("usable again" in r.message for r in caplog.records)


def test_replace_groups_tests_by_region() -> None:
    view = TestView("a")
    view.replace([_Row(1, ["eu"]), _Row(2, ["us"]), _Row(3, ["eu"])])
    assert _held(view) == {"eu": [1, 3], "us": [2]}


def test_a_test_of_several_regions_is_one_spec_per_region_naming_them_all() -> None:
    view = TestView("a")
    specs = view.specs(_Row(7, ["eu", "us", "eu"]))
    assert [(s.region, s.regions) for s in specs] == [("eu", ("eu", "us")), ("us", ("eu", "us"))]
    view.replace([_Row(7, ["eu", "us", "eu"])])
    assert set(view.regions) == {"eu", "us"} and all(list(d) == [7] for d in view.regions.values())


def test_a_single_region_spec_names_no_regions() -> None:
    [spec] = TestView("a").specs(_Row(7, ["eu"]))
    assert (spec.region, spec.regions) == ("eu", ())


def test_specs_are_what_the_old_scheduler_made() -> None:
    view = TestView("a")
    spec = TestSpec(7, "a", "", "http", 60, 5.0, {"url": "http://x/"}, 1)
    for regions in (["eu"], ["eu", "us", "eu"]):
        assert list(view.specs(_Row(7, regions))) == per_region(spec, regions)


def test_problem_names_what_is_wrong() -> None:
    assert problem({"url": "http://x/"}) is None
    assert "str" in problem("http://x/")  # type: ignore[operator]
    assert "encoded" in problem({"deep": [{"n": -(2**65)}]})  # type: ignore[operator]


def test_per_test_changes_match_sharing_everything_again() -> None:
    """The delta path must tell each node exactly what a full share and diff would."""
    rng = random.Random(3)
    live = ["n1", "n2", "n3"]
    view = TestView("a")
    view.replace([_Row(i) for i in range(200)])
    plans = {
        n: NodePlan(seq=1, sent=dict(share)) for n, share in split(view.regions["eu"], live).items()
    }
    for _ in range(30):
        rows = [
            _Row(rng.randrange(260), interval_s=rng.choice([30, 60]), enabled=rng.random() < 0.8)
            for _ in range(rng.randrange(1, 12))
        ]
        deleted = [rng.randrange(260) for _ in range(rng.randrange(3))]
        changed = view.apply(rows, deleted).get("eu", set())
        wanted = split(view.regions.get("eu", {}), live)
        expected = {n: p.diff(wanted[n]) for n, p in plans.items()}
        got = changes(plans, view.regions.get("eu", {}), changed, live)
        for node, plan in plans.items():
            upserts, removals = got.get(node, ([], []))
            assert sorted(s.id for s in upserts) == sorted(s.id for s in expected[node][0])
            assert sorted(removals) == sorted(expected[node][1])
            plan.record(upserts, removals)
            assert plan.sent == wanted[node]


def test_no_region_runs_a_heartbeat() -> None:
    """Its job calls it: no executor is ever sent one, however its row changes."""
    view = TestView("a")
    beat = _Row(7, config={"cron": None, "tz": "UTC", "grace_s": 60}, kind="heartbeat")
    view.replace([_Row(1), beat])
    assert _held(view) == {"eu": [1]}
    assert view.apply([_Row(7, ["eu", "us"], kind="heartbeat", interval_s=30)], []) == {}
    assert _held(view) == {"eu": [1]} and view.rejected == {}
