"""The incident state machine, one transition at a time."""

import json

import pytest

from result_processor.alerting import (
    Observation,
    RegionState,
    Rule,
    RuleError,
    TestAlert,
    describe,
    step,
)
from shared.messages import Status

UP, DOWN, DEGRADED = Status.UP, Status.DOWN, Status.DEGRADED


def feed(s: TestAlert, rule: Rule, regions: int, *events: tuple[str, int, Status]) -> list:
    """Feed (region, minute, status) results; the changes, as (kind, phase, minute)."""
    changes = []
    for region, minute, status in events:
        http = 503 if status is DOWN else 200
        c = step(
            s, Observation(region, minute * 60_000, status, http, "http_status"), rule, regions
        )
        if c:
            changes.append((c.kind, c.phase, c.at_ms // 60_000))
    return changes


def test_up_stays_up_and_leaves_nothing_to_remember() -> None:
    s = TestAlert()
    assert feed(s, Rule(), 1, ("eu", 1, UP), ("eu", 2, UP)) == []
    assert s.idle and s.phase == "up"


def test_one_failure_is_only_a_suspicion() -> None:
    s = TestAlert()
    assert feed(s, Rule(retries=1), 1, ("eu", 1, DOWN)) == []
    assert s.phase == "suspected" and s.started_ms == 60_000 and not s.idle


def test_a_suspicion_that_clears_leaves_no_incident() -> None:
    s = TestAlert()
    assert feed(s, Rule(retries=1), 1, ("eu", 1, DOWN), ("eu", 2, UP)) == []
    assert s.phase == "up" and s.started_ms is None and s.evidence == {}


def test_retries_then_down_in_a_single_region_test() -> None:
    s = TestAlert()
    changes = feed(
        s, Rule(retries=2, regions=2), 1, ("eu", 1, DOWN), ("eu", 2, DOWN), ("eu", 3, DOWN)
    )
    assert changes == [("opened", "down", 3)]
    assert s.started_ms == 60_000 and len(s.evidence["eu"]) == 3


def test_zero_retries_opens_at_the_first_failure() -> None:
    s = TestAlert()
    assert feed(s, Rule(retries=0, regions=1), 1, ("eu", 5, DOWN)) == [("opened", "down", 5)]


def test_one_region_failing_is_not_an_outage_when_two_must_agree() -> None:
    s = TestAlert()
    changes = feed(
        s,
        Rule(retries=1, regions=2),
        2,
        ("eu", 1, DOWN),
        ("us", 1, UP),
        ("eu", 2, DOWN),
        ("us", 2, UP),
        ("eu", 3, DOWN),
    )
    assert changes == [] and s.phase == "suspected"


def test_two_regions_agreeing_open_one_incident_and_recovery_closes_it() -> None:
    s = TestAlert()
    changes = feed(
        s,
        Rule(retries=1, regions=2, recover_after=1),
        2,
        ("eu", 1, DOWN),
        ("us", 1, DOWN),
        ("eu", 2, DOWN),
        ("us", 2, DOWN),
        ("eu", 3, DOWN),
        ("us", 3, DOWN),
        ("eu", 4, UP),
        ("us", 4, UP),
    )
    assert changes == [("opened", "down", 2), ("changed", "degraded", 4), ("resolved", "up", 4)]
    assert s.idle


def test_regions_required_is_capped_by_the_regions_running() -> None:
    s = TestAlert()
    assert feed(s, Rule(retries=0, regions=5), 1, ("eu", 1, DOWN)) == [("opened", "down", 1)]


def test_degraded_results_open_a_degraded_incident() -> None:
    s = TestAlert()
    assert feed(s, Rule(retries=1, regions=1), 1, ("eu", 1, DEGRADED), ("eu", 2, DEGRADED)) == [
        ("opened", "degraded", 2)
    ]


def test_severity_moves_from_degraded_to_down_and_back() -> None:
    s = TestAlert()
    changes = feed(
        s,
        Rule(retries=0, regions=1, recover_after=1),
        1,
        ("eu", 1, DEGRADED),
        ("eu", 2, DOWN),
        ("eu", 3, DEGRADED),
        ("eu", 4, UP),
    )
    assert changes == [
        ("opened", "degraded", 1),
        ("changed", "down", 2),
        ("changed", "degraded", 3),
        ("resolved", "up", 4),
    ]


def test_an_open_incident_stays_open_while_one_region_still_fails() -> None:
    s = TestAlert()
    changes = feed(
        s,
        Rule(retries=0, regions=2, recover_after=1),
        2,
        ("eu", 1, DOWN),
        ("us", 1, DOWN),
        ("us", 2, UP),
        ("eu", 2, DOWN),
        ("us", 3, UP),
        ("eu", 3, UP),
    )
    assert changes == [("opened", "down", 1), ("changed", "degraded", 2), ("resolved", "up", 3)]


def test_threshold_rule_opens_degraded_on_intermittent_failures() -> None:
    s = TestAlert()
    rule = Rule(retries=2, regions=1, window_s=300, max_failures=2, recover_after=1)
    events = [("eu", m, DOWN if m % 2 else UP) for m in range(1, 8)]
    changes = feed(s, rule, 1, *events)
    assert changes[0] == ("opened", "degraded", 5)  # the third failure within five minutes
    assert "failures" in describe(s, rule)
    later = feed(s, rule, 1, *[("eu", m, UP) for m in range(8, 14)])
    assert later == [("resolved", "up", 8)]  # minutes 5 and 7 left: not more than two


def test_threshold_on_5xx_counts() -> None:
    s = TestAlert()
    rule = Rule(retries=5, regions=1, window_s=600, max_5xx=2)
    assert feed(s, rule, 1, ("eu", 1, DOWN), ("eu", 2, UP), ("eu", 3, DOWN)) == [
        ("opened", "degraded", 3)
    ]


def test_late_results_behind_a_newer_success_change_nothing() -> None:
    s = TestAlert()
    feed(s, Rule(retries=1, regions=1), 1, ("eu", 5, UP))
    assert (
        feed(s, Rule(retries=1, regions=1), 1, ("eu", 3, DOWN), ("eu", 4, DOWN), ("eu", 5, DOWN))
        == []
    )  # the last one repeats minute 5: ignored
    assert s.regions["eu"].fails == 0 and s.regions["eu"].recent[-1] == (5 * 60_000, int(UP), 1)


def test_results_committed_out_of_order_still_confirm() -> None:
    s = TestAlert()
    assert feed(s, Rule(retries=1, regions=1), 1, ("eu", 2, DOWN), ("eu", 1, DOWN)) == [
        ("opened", "down", 1)
    ]


def test_a_region_remembers_a_bounded_history() -> None:
    region = RegionState()
    for minute in range(40):
        region.add(minute, DOWN)
    assert len(region.recent) == 16 and region.fails == 16
    assert not region.add(3, UP)  # older than all it remembers


def test_state_survives_a_json_round_trip() -> None:
    s = TestAlert()
    feed(s, Rule(retries=3, regions=1, max_5xx=10), 1, ("eu", 1, DOWN), ("us", 1, DOWN))
    again = TestAlert.from_json(json.loads(json.dumps(s.to_json())))
    assert again == s


def test_describe_names_the_failing_regions() -> None:
    s = TestAlert()
    feed(s, Rule(retries=0, regions=1), 2, ("eu", 1, DOWN))
    assert describe(s, Rule(retries=0)) == "failing in 1 region(s): eu (http_status)"


def test_rules_come_from_data_with_defaults() -> None:
    assert Rule.from_data(None) == Rule()
    assert Rule.from_data({"retries": 0, "max_5xx": 3}) == Rule(retries=0, max_5xx=3)
    assert Rule.from_data({"max_failures": None}) == Rule()


@pytest.mark.parametrize(
    "data",
    [
        [],
        "down",
        3,
        {"retries": -1},
        {"retries": "2"},
        {"regions": 0},
        {"regions": True},
        {"window_s": 1},
        {"max_5xx": 0},
        {"max_failures": 1.5},
        {"nonsense": 1},
    ],
)
def test_garbage_rules_are_refused_naming_the_field(data) -> None:
    with pytest.raises(RuleError, match="alert_rule"):
        Rule.from_data(data)


def test_a_flapping_test_keeps_one_incident_open_until_it_is_up_for_good() -> None:
    s = TestAlert()
    rule = Rule(retries=0, regions=1)  # the default recover_after: two successes in a row
    flapping = [("eu", m, DOWN if m % 2 else UP) for m in range(1, 21)]  # down, up, down, ...
    assert feed(s, rule, 1, *flapping) == [("opened", "down", 1)]
    assert feed(s, rule, 1, ("eu", 21, UP)) == [("resolved", "up", 21)]


def test_recover_after_is_validated() -> None:
    assert Rule.from_data({"recover_after": 3}).recover_after == 3
    for garbage in (0, 11, "2", True):
        with pytest.raises(RuleError, match="recover_after"):
            Rule.from_data({"recover_after": garbage})


def test_a_result_retried_on_the_node_counts_its_attempts() -> None:
    # The node retried already: one DOWN result of 2 attempts confirms its region at once,
    # so a check-now answer from the other region opens the incident in seconds.
    s, rule = TestAlert(), Rule(retries=1, regions=2)
    assert step(s, Observation("eu", 1_000, DOWN, attempts=2), rule, 2) is None
    change = step(s, Observation("us", 3_000, DOWN, attempts=2), rule, 2)
    assert change is not None and (change.kind, change.phase) == ("opened", "down")


def test_state_remembered_before_attempts_counted_still_loads() -> None:
    old = {
        "phase": "suspected",
        "incident_id": None,
        "started_ms": 60_000,
        "regions": {"eu": {"recent": [[60_000, 0]]}},
        "window": [],
        "evidence": {},
    }
    s = TestAlert.from_json(old)
    assert s.regions["eu"].recent == [(60_000, 0, 1)] and s.regions["eu"].fails == 1
    assert TestAlert.from_json(json.loads(json.dumps(s.to_json()))) == s
