"""The test form's per-kind fields come from shared.checkspec, and each has a widget."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from frontend import kinds
from frontend.app import create_app
from shared import checkspec
from shared.config import Settings
from tests.frontend.helpers import text


@pytest.mark.unit
@pytest.mark.parametrize("kind", list(checkspec.VALIDATORS))
def test_every_field_checkspec_knows_has_a_widget_label_and_example(kind: str) -> None:
    names = {f.name for f in kinds.fields(kind)}
    minimal = {"url": kinds.EXAMPLES[kind], "name": "example.com"}
    assert names == set(checkspec.validate(kind, minimal)) - {"url"}
    app = create_app(Settings.from_env({"VIGIL_API_URL": "http://x", "VIGIL_SECRET_KEY": "s"}))
    with app.test_request_context():
        for f in kinds.fields(kind):
            assert f.name in kinds.WIDGETS, f"{kind}.{f.name} has no widget"
            assert f.label != f.name, f"{kind}.{f.name} has no label"
    checkspec.target(kind, kinds.placeholder(kind))  # the example parses as the kind's URL


@pytest.mark.unit
def test_the_target_says_what_the_url_does_not() -> None:
    dns = {
        "kind": "dns",
        "config": {"url": "dns://9.9.9.9", "name": "example.com", "record_type": "MX"},
    }
    assert kinds.target_text(dns) == "example.com MX @ dns://9.9.9.9"
    post = {"kind": "http", "config": {"url": "https://x.example/", "method": "POST"}}
    assert kinds.target_text(post) == "POST https://x.example/"
    assert kinds.target_text({"kind": "tcp", "config": {"url": "tcp://db:5432"}}) == "tcp://db:5432"
    assert kinds.target_text({"kind": "heartbeat", "ping_url": "https://p/x"}) == "https://p/x"


def test_the_form_shows_only_the_chosen_kinds_fields(
    logged_in: FlaskClient, fake_api: object
) -> None:
    html = text(logged_in.get("/monitors/new?kind=tcp"))
    assert 'placeholder="tcp://db.example.com:5432"' in html
    # Every kind's section is rendered (for the script), but only the chosen one is live.
    assert '<fieldset class="kind-fields" data-kind="tcp">' in html
    assert '<fieldset class="kind-fields" data-kind="http" hidden disabled>' in html
    assert 'name="dns.name"' in html and 'name="rule.window_s"' in html


def test_switching_kind_without_a_script(logged_in: FlaskClient, fake_api: object) -> None:
    from tests.frontend.helpers import csrf_token

    data = {
        "name": "Mail",
        "kind": "smtp",
        "url": "",
        "choose_kind": "1",
        "http.shown": "1",
        "csrf_token": csrf_token(logged_in, "/monitors/new"),
    }
    response = logged_in.post("/monitors/new", data=data)
    html = text(response)
    assert response.status_code == 200 and "This field is required" not in html
    assert '<fieldset class="kind-fields" data-kind="smtp">' in html
    assert 'value="Mail"' in html  # what was typed stays
    # the smtp section was not on the page: its checkboxes take their defaults (verify on)
    assert 'id="smtp.verify_tls" name="smtp.verify_tls" checked' in html
