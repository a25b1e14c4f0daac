"""Where the API's 422 errors land in the test form."""

from __future__ import annotations

import pytest

from frontend import forms


@pytest.mark.unit
@pytest.mark.parametrize(
    ("loc", "kind", "monitor_form", "field"),
    [
        (["body", "tests", 0, "url"], "tcp", True, "url"),
        (["body", "tests", 0, "tcp", "url"], "tcp", True, "url"),  # a union's tag
        (["body", "name"], "dns", True, "name"),  # the monitor's name
        (["body", "tests", 0, "name"], "dns", True, "dns.name"),
        (["body", "name"], "dns", False, "dns.name"),  # POST .../tests: the DNS name
        (["body", "count"], "ping", False, "ping.count"),
        (["body", "headers"], "http", False, "http.headers"),
        (["body", "alert_rule", "threshold", "window_s"], "http", False, "rule.window_s"),
        (["body", "alert_rule", "threshold", "max_5xx"], "http", False, "rule.limit"),
        (["body", "alert_rule", "recover_after"], "http", False, "rule.recover_after"),
        (["body", "colour"], "http", False, forms.GENERAL),
        (["body", "count"], "http", False, forms.GENERAL),  # not an HTTP field
    ],
)
def test_each_error_lands_beside_its_field(
    loc: list, kind: str, monitor_form: bool, field: str
) -> None:
    assert forms.field_of(loc, kind, monitor_form) == field


@pytest.mark.unit
def test_a_detail_string_naming_a_field_lands_beside_it() -> None:
    form = forms.Form({"kind": "dns"})
    forms.api_errors(form, "name: required", forms.TEST_FIELDS)
    assert form.errors == {"dns.name": ["required"]}
    other = forms.Form({"kind": "dns"})
    forms.api_errors(other, "the monitor is locked", forms.TEST_FIELDS)
    assert list(other.errors) == [forms.GENERAL]


@pytest.mark.unit
def test_checkspec_words_lose_the_field_name_beside_the_field() -> None:
    error = {
        "type": "value_error",
        "loc": ["body", "count"],
        "msg": "Value error, count: expected a whole number from 1 to 10",
    }
    assert forms.message(error) == "expected a whole number from 1 to 10"
