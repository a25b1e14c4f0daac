"""The alert rule as users write it (nested threshold) and as older rows hold it (flat)."""

import pytest

from shared.alert_rules import Rule, RuleError, json_schema

pytestmark = pytest.mark.unit


def test_the_nested_form_round_trips() -> None:
    data = {
        "retries": 0,
        "regions": 1,
        "recover_after": 3,
        "threshold": {"max_5xx": 3, "window_s": 600},
    }
    rule = Rule.from_data(data)
    assert rule == Rule(retries=0, regions=1, recover_after=3, max_5xx=3, window_s=600)
    assert rule.to_data() == data
    assert Rule.from_data(rule.to_data()) == rule


def test_the_flat_form_of_older_rows_still_reads() -> None:
    assert Rule.from_data({"retries": 0, "max_failures": 4, "window_s": 60}) == Rule(
        retries=0, max_failures=4, window_s=60
    )


def test_defaults_have_no_threshold() -> None:
    assert Rule.from_data({}).to_data() == {"retries": 1, "regions": 2, "recover_after": 2}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("x", "alert_rule"),
        ({"retries": 11}, "alert_rule.retries"),
        ({"regions": 0}, "alert_rule.regions"),
        ({"recover_after": True}, "alert_rule.recover_after"),
        ({"retries": None}, "alert_rule.retries"),
        ({"nonsense": 1}, "alert_rule.nonsense"),
        ({"threshold": 5}, "alert_rule.threshold"),
        ({"threshold": {}}, "alert_rule.threshold"),
        ({"threshold": {"window_s": 60}}, "alert_rule.threshold"),
        ({"threshold": {"max_failures": 1, "window_s": 5}}, "alert_rule.threshold.window_s"),
        ({"threshold": {"max_5xx": 0}}, "alert_rule.threshold.max_5xx"),
        ({"threshold": {"max_5xx": 1, "x": 1}}, "alert_rule.threshold.x"),
        ({"threshold": {"max_5xx": 1}, "window_s": 60}, "alert_rule.threshold"),
    ],
)
def test_garbage_names_the_field(data, field) -> None:
    with pytest.raises(RuleError) as caught:
        Rule.from_data(data)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


def test_the_schema_covers_every_field_of_the_rule() -> None:
    schema = json_schema()
    named = set(schema["properties"]) - {"threshold"} | set(
        schema["properties"]["threshold"]["properties"]
    )
    assert named == set(Rule.__dataclass_fields__)
