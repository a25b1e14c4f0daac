"""Files to checked objects: positions, duplicates, unknown fields, secrets, references."""

from __future__ import annotations

from pathlib import Path

import pytest

from ascode import loader, validate
from ascode.importers import gatus, kuma
from ascode.importers.common import status_codes

pytestmark = pytest.mark.unit

MONITOR = "monitors:\n  - key: a\n    name: A\n    tests: [{kind: tcp, url: 'tcp://h.example:1'}]\n"
PAGE = "status_pages:\n  - key: p\n    slug: {slug}\n    title: P\n{extra}"


def _problems(text: str, **kw: bool) -> str:
    with pytest.raises(validate.Problems) as caught:
        validate.check([loader.parse(text, "f.yaml")], **kw)
    return str(caught.value)


def test_a_good_file_gives_its_objects():
    desired = validate.check([loader.parse(MONITOR, "f.yaml")])
    assert list(desired["monitor"]) == ["a"]


def test_parse_errors_name_line_and_column():
    with pytest.raises(loader.FileError, match=r"^f.yaml:3:1: "):
        loader.parse("a:\n  - [1, 2\n", "f.yaml")


def test_duplicate_mapping_keys_are_refused_where_written():
    with pytest.raises(loader.FileError, match=r"f.yaml:2:1: duplicate key 'a'"):
        loader.parse("a: 1\na: 2\n", "f.yaml")


def test_timestamps_stay_text():
    assert loader.parse("t: 2030-01-01T02:00:00Z\n", "f").data == {"t": "2030-01-01T02:00:00Z"}


def test_duplicate_object_keys_across_files():
    docs = [loader.parse(MONITOR, "one.yaml"), loader.parse(MONITOR, "two.yaml")]
    with pytest.raises(
        validate.Problems,
        match=r"two.yaml:2:10: monitor 'a': the key is "
        r"used twice \(first at one.yaml:2:10\)",
    ):
        validate.check(docs)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("widgets: []\n", "'widgets' was unexpected"),
        (MONITOR.replace("name: A", "name: A\n    colour: red"), "'colour' was unexpected"),
        (MONITOR.replace("key: a", "key: Not A Key"), "monitors.0.key"),
        (MONITOR.replace("tcp, url", "gopher, url"), "monitors.0.tests.0.kind"),
        (MONITOR.replace("url: ", "timeout_s: 61, url: "), "61 is greater than the maximum of 60"),
        (MONITOR + PAGE.format(slug="Acme Status", extra=""), "status_pages.0.slug: 'Acme Status'"),
        (MONITOR + PAGE.format(slug="ab", extra=""), "status_pages.0.slug: 'ab' is too short"),
        (
            MONITOR + PAGE.format(slug="acme", extra="    groups: [A, A]\n"),
            "status_pages.0.groups: ['A', 'A'] has non-unique elements",
        ),
        (
            MONITOR
            + PAGE.format(slug="acme", extra=f"    groups: [{', '.join(map(str, range(21)))}]\n"),
            "status_pages.0.groups: [0, 1,",
        ),
        (
            MONITOR + PAGE.format(slug="acme", extra="    language: english\n"),
            "status_pages.0.language: 'english' does not match",
        ),
        (
            MONITOR + PAGE.format(slug="acme", extra="    logo_url: http://cdn.example/l.png\n"),
            "status_pages.0.logo_url: 'http://cdn.example/l.png' does not match",
        ),
    ],
)
def test_the_schema_refuses(text: str, message: str):
    assert message in _problems(text)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    history_days: 45\n", "status_pages.0.history_days: 45 is not one of [30, 90, 365]"),
        ("    history_days: '90'\n", "status_pages.0.history_days: '90' is not one of"),
        (
            "    sla_target: 101\n",
            "status_pages.0.sla_target: 101 is greater than or equal to the maximum of 100",
        ),
        ("    sla_target: 100\n", "status_pages.0.sla_target: 100 is greater than or equal to"),
        (
            "    sla_target: 0\n",
            "status_pages.0.sla_target: 0 is less than or equal to the minimum",
        ),
        (
            "    sla_target: abc\n",
            "status_pages.0.sla_target: 'abc' is not of type 'number', 'null'",
        ),
        ("    sla_target: .nan\n", "status_page 'p' field sla_target: must be a finite number"),
        ("    accent_color: 'red;}'\n", "status_pages.0.accent_color: 'red;}' does not match"),
        (
            "    favicon_url: http://a.example/f.png\n",
            "status_pages.0.favicon_url: 'http://a.example/f.png' does not match",
        ),
        (
            "    footer_links: [{label: x, url: 'javascript:alert(1)'}]\n",
            "status_pages.0.footer_links.0.url: 'javascript:alert(1)' does not match",
        ),
        (
            "    footer_links: [" + ", ".join(["{label: x, url: 'https://a.example'}"] * 6) + "]\n",
            "status_pages.0.footer_links: [{",
        ),
        (
            "    monitors: [{monitor: a, sla_target: 100.5}]\n",
            "status_pages.0.monitors.0.sla_target: 100.5 is greater than or equal to the maximum",
        ),
        (
            "    monitors: [{monitor: a, sla_target: .nan}]\n",
            "status_page 'p' field monitors.0.sla_target: must be a finite number",
        ),
    ],
)
def test_a_pages_history_and_sla_targets_are_refused_out_of_the_apis_bounds(
    extra: str, message: str
):
    assert message in _problems(MONITOR + PAGE.format(slug="acme", extra=extra))


@pytest.mark.parametrize("value", [30, 45, 90, 365, 0, "90", True, None])
def test_the_files_history_days_are_the_apis(value: object):
    from pydantic import ValidationError

    from api.resource_schemas import StatusPageIn

    def api_takes() -> bool:
        try:
            StatusPageIn.model_validate({"slug": "acme", "title": "P", "history_days": value})
        except ValidationError:
            return False
        return True

    text = MONITOR + PAGE.format(
        slug="acme",
        extra=f"    history_days: {value!r}\n".replace("None", "null").replace("True", "true"),
    )
    try:
        validate.check([loader.parse(text, "f.yaml")])
        file_takes = True
    except validate.Problems:
        file_takes = False
    assert file_takes == (api_takes() and value is not None)  # null: the API's default, not
    # a value the file may give


@pytest.mark.parametrize("value", [99.9, 0.001, 99.999, 0, 100, -1, 101, "99.9", None, True])
def test_the_files_sla_targets_are_the_apis(value: object):
    from pydantic import ValidationError

    from api.resource_schemas import PageMonitorIn, StatusPageIn

    def api_takes(model: type, body: dict) -> bool:
        try:
            model.model_validate({**body, "sla_target": value})
        except ValidationError:
            return False
        return True

    shown = "null" if value is None else "true" if value is True else repr(value)
    for extra, model, body in (
        (f"    sla_target: {shown}\n", StatusPageIn, {"slug": "acme", "title": "P"}),
        (
            f"    monitors: [{{monitor: a, sla_target: {shown}}}]\n",
            PageMonitorIn,
            {"monitor_id": 1},
        ),
    ):
        text = MONITOR + PAGE.format(slug="acme", extra=extra)
        try:
            validate.check([loader.parse(text, "f.yaml")])
            file_takes = True
        except validate.Problems:
            file_takes = False
        assert file_takes == api_takes(model, body), (extra, value)


@pytest.mark.parametrize(
    ("test", "message"),
    [
        (
            "{kind: tcp, url: 'tcp://h.example:1', interval_s: 20, timeout_s: 20}",
            "f.yaml:5:74: monitor 'a' field timeout_s: must be shorter than interval_s",
        ),
        (
            # The API's default interval is 60.
            "{kind: tcp, url: 'tcp://h.example:1', timeout_s: 60}",
            "monitor 'a' field timeout_s: must be shorter than interval_s",
        ),
        (
            "{kind: tcp, url: 'tcp://h.example:1', interval_s: 86401}",
            "monitor 'a' field interval_s: must be at most 86400",
        ),
    ],
)
def test_the_api_rules_on_timing_are_checked_before_anything_is_sent(test: str, message: str):
    text = f"monitors:\n  - key: a\n    name: A\n    tests:\n      - {test}\n"
    assert message in _problems(text)


def test_a_heartbeat_period_may_be_long():
    text = (
        "monitors:\n  - key: a\n    name: A\n    tests:\n"
        "      - {kind: heartbeat, interval_s: 604800, grace_s: 3600}\n"
    )
    assert list(validate.check([loader.parse(text, "f.yaml")])["monitor"]) == ["a"]


def test_a_clear_password_in_a_url_is_refused_unless_allowed():
    text = MONITOR.replace(
        "tcp, url: 'tcp://h.example:1'", "postgres, url: 'postgresql://u:pw@h.example/db'"
    )
    assert "a password in clear" in _problems(text)
    assert validate.check([loader.parse(text, "f")], allow_inline_secrets=True)


def test_secrets_by_reference_are_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "s").write_text("from-a-file-0123456789\n")
    monkeypatch.setenv("HOOK_URL", "https://h.example/x")
    text = (
        MONITOR + "channels:\n  - key: c\n    name: C\n    kind: webhook\n"
        f"    config: {{url: {{env: HOOK_URL}}, secret: {{file: '{tmp_path / 's'}'}}}}\n"
    )
    config = validate.check([loader.parse(text, "f")])["channel"]["c"].body["config"]
    assert config == {"url": "https://h.example/x", "secret": "from-a-file-0123456789"}


def test_an_unset_variable_is_named(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    text = "channels:\n  - {key: c, name: C, kind: slack, config: {url: {env: NOT_SET_ANYWHERE}}}\n"
    assert "environment variable NOT_SET_ANYWHERE is not set" in _problems(text)


def test_references_to_nothing_are_refused():
    text = MONITOR + (
        "maintenance:\n  - {key: w, title: W, starts_at: '2030-01-01T00:00:00Z', "
        "ends_at: '2030-01-01T01:00:00Z', monitor: nope}\n"
    )
    assert "field monitor: no monitor with key 'nope'" in _problems(text)


def test_status_codes_of_a_wide_range_are_the_registered_ones():
    note: list[str] = []
    assert status_codes(["200-299"], note) == [200, 201, 202, 203, 204, 205, 206, 207, 208, 226]
    assert note == []


def test_gatus_conditions_become_assertions():
    test: dict = {}
    note: list[str] = []
    for c in ("[STATUS] == 201", "[BODY].data[0].ok == true", "[BODY] == pat(*ready*)"):
        gatus._condition(c, test, note)
    assert test == {
        "expected_status": [201],
        "json_path": "$.data[0].ok",
        "json_expected": True,
        "contains": "ready",
    }
    gatus._condition("[IP] == 127.0.0.1", test, note)
    assert note == ["condition '[IP] == 127.0.0.1': no Vigil assertion means the same"]


def test_gatus_durations():
    assert gatus.seconds("1m30s", 0) == 90 and gatus.seconds(None, 60) == 60


def test_importers_refuse_what_is_not_theirs(tmp_path: Path):
    path = tmp_path / "x.json"
    path.write_text("{}")
    with pytest.raises(loader.FileError, match="not an Uptime Kuma backup"):
        kuma.convert(path)
    with pytest.raises(loader.FileError, match="not a Gatus config"):
        gatus.convert(path)
