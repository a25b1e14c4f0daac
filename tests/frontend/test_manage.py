"""Creating, renaming and deleting monitors and tests through the forms."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.frontend.fake_api import FakeApi, monitor
from tests.frontend.helpers import csrf_token, text


def form(client: FlaskClient, path: str, **fields: str) -> dict[str, str]:
    values = {
        "name": "Shop",
        "kind": "http",
        "url": "https://shop.example/",
        "http.method": "GET",
        "http.expected_status": "200, 204",
        "http.shown": "1",
        "http.verify_tls": "on",
        "http.follow_redirects": "on",
        "interval_s": "60",
        "timeout_s": "10",
        "region": "",
    }
    return {**values, **fields, "csrf_token": csrf_token(client, path)}


def stored(fake_api: FakeApi, name: str = "Shop") -> dict[str, Any]:
    m = monitor(name, "up", monitor_id="41")
    m["id"] = 41
    m["tests"][0]["id"] = 7
    fake_api.monitors.append(m)
    return m


def test_new_monitor_form_offers_every_kind(logged_in: FlaskClient) -> None:
    html = text(logged_in.get("/monitors/new"))
    for kind in (
        "http",
        "tcp",
        "tls",
        "ping",
        "dns",
        "smtp",
        "redis",
        "postgres",
        "mysql",
        "rabbitmq",
    ):
        assert f'<option value="{kind}"' in html


def test_create_a_monitor(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    response = logged_in.post("/monitors/new", data=form(logged_in, "/monitors/new"))
    assert response.status_code == 302
    [created] = fake_api.monitors
    assert response.headers["Location"] == f"/monitors/{created['id']}"
    [sent] = fake_api.requests_to("/api/v1/monitors")[-1:]
    body = json.loads(sent.body)
    assert body["tests"][0]["expected_status"] == [200, 204]
    assert body["tests"][0]["timeout_s"] == 10.0
    # ticked as by default, or left as it was: the API fills those in
    assert not {"verify_tls", "follow_redirects", "retries"} & set(body["tests"][0])


def test_non_http_kinds_send_no_http_fields(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    data = form(logged_in, "/monitors/new", kind="tcp", url="tcp://db.example:5432")
    assert logged_in.post("/monitors/new", data=data).status_code == 302
    body = __import__("json").loads(fake_api.requests_to("/api/v1/monitors")[-1].body)
    assert "method" not in body["tests"][0] and body["tests"][0]["kind"] == "tcp"


def test_api_errors_land_beside_their_fields(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    data = form(logged_in, "/monitors/new", url="http://127.0.0.1/", interval_s="20")
    response = logged_in.post("/monitors/new", data=data)
    assert response.status_code == 422
    html = text(response)
    assert 'id="url-errors"' in html and "Private, local and reserved" in html
    assert 'id="interval_s-errors"' in html and "Must be at least 30." in html
    assert 'value="http://127.0.0.1/"' in html  # what was typed stays
    # The settings rules come after the body's own: as the real API, one round at a time.
    html = text(logged_in.post("/monitors/new", data={**data, "region": "nowhere"}))
    assert 'id="region-errors"' in html and "no such region" in html
    assert fake_api.monitors == []


def test_api_errors_are_translated(logged_in: FlaskClient) -> None:
    data = form(logged_in, "/monitors/new", interval_s="20")
    html = text(logged_in.post("/monitors/new?lang=de", data=data))
    assert "Mindestens 30." in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("url", "", "This field is required."),
        ("interval_s", "soon", "Enter a whole number."),
        ("timeout_s", "nan", "Enter a number."),
        ("timeout_s", "x", "Enter a number."),
        ("http.expected_status", "ok", "Enter HTTP status codes"),
        ("kind", "gopher", "Choose one of the offered kinds."),
        ("http.method", "BREW", "Choose one of the offered values."),
    ],
)
def test_garbage_is_refused_before_the_api(
    logged_in: FlaskClient, fake_api: FakeApi, field: str, value: str, message: str
) -> None:
    response = logged_in.post(
        "/monitors/new", data=form(logged_in, "/monitors/new", **{field: value})
    )
    assert response.status_code == 422
    assert message in text(response)
    assert f'id="{field}-errors"' in text(response)
    assert fake_api.requests_to("/api/v1/monitors") == []


def test_quota_refusal_is_shown(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.refuse_with = (409, "over the account's quota of tests")
    response = logged_in.post("/monitors/new", data=form(logged_in, "/monitors/new"))
    assert response.status_code == 422
    assert "quota" in text(response)


def test_a_422_without_usable_detail_is_a_general_error(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    fake_api.refuse_with = (422, "garbage")
    response = logged_in.post("/monitors/new", data=form(logged_in, "/monitors/new"))
    assert "did not accept this form" in text(response)


def test_forms_need_a_log_in(client: FlaskClient) -> None:
    for path in (
        "/monitors/new",
        "/monitors/1/edit",
        "/monitors/1/tests/new",
        "/monitors/1/delete",
        "/monitors/1",
    ):
        assert client.get(path).headers["Location"] == "/login"


def test_forms_need_the_csrf_token(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    assert logged_in.post("/monitors/new", data={"name": "x"}).status_code == 400


def test_rename(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    stored(fake_api)
    assert 'value="Shop"' in text(logged_in.get("/monitors/41/edit"))
    data = {"name": "Web shop", "csrf_token": csrf_token(logged_in, "/monitors/41/edit")}
    response = logged_in.post("/monitors/41/edit", data=data)
    assert response.headers["Location"] == "/monitors/41"
    assert fake_api.monitors[0]["name"] == "Web shop"


def test_rename_to_nothing_is_refused(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    stored(fake_api)
    data = {"name": "  ", "csrf_token": csrf_token(logged_in, "/monitors/41/edit")}
    assert logged_in.post("/monitors/41/edit", data=data).status_code == 422


def test_rename_shows_the_api_error(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    stored(fake_api)
    fake_api.refuse_with = (
        422,
        [
            {
                "type": "string_too_long",
                "loc": ["body", "name"],
                "msg": "too long",
                "ctx": {"max_length": 200},
            }
        ],
    )
    data = {"name": "x", "csrf_token": csrf_token(logged_in, "/monitors/41/edit")}
    response = logged_in.post("/monitors/41/edit", data=data)
    assert "At most 200 characters." in text(response)


def test_delete_asks_then_deletes(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    stored(fake_api)
    assert "Delete “Shop”?" in text(logged_in.get("/monitors/41/delete"))
    data = {"csrf_token": csrf_token(logged_in, "/monitors/41/delete")}
    response = logged_in.post("/monitors/41/delete", data=data)
    assert response.headers["Location"] == "/dashboard"
    assert fake_api.monitors == []


def test_unknown_monitor_is_a_404(logged_in: FlaskClient) -> None:
    for path in (
        "/monitors/99",
        "/monitors/99/edit",
        "/monitors/99/delete",
        "/monitors/99/tests/new",
    ):
        assert logged_in.get(path).status_code == 404


def test_add_a_test(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    stored(fake_api)
    data = form(
        logged_in,
        "/monitors/41/tests/new",
        kind="dns",
        url="dns://9.9.9.9",
        **{
            "dns.shown": "1",
            "dns.name": "example.com",
            "dns.record_type": "MX",
            "dns.expected": "10 mx.example.com.\n20 mx2.example.com.",
        },
    )
    response = logged_in.post("/monitors/41/tests/new", data=data)
    assert response.headers["Location"] == "/monitors/41"
    assert [t["kind"] for t in fake_api.monitors[0]["tests"]] == ["http", "dns"]
    sent = json.loads(fake_api.requests_to("/api/v1/monitors/41/tests")[-1].body)
    # what equals the kind's default (retries 1, tcp off) is the API's to fill in
    assert sent == {
        "kind": "dns",
        "url": "dns://9.9.9.9",
        "name": "example.com",
        "record_type": "MX",
        "interval_s": 60,
        "timeout_s": 10.0,
        "expected": ["10 mx.example.com.", "20 mx2.example.com."],
    }


def test_a_kind_without_its_required_field_is_refused_beside_it(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    stored(fake_api)
    data = form(
        logged_in, "/monitors/41/tests/new", kind="dns", url="dns://9.9.9.9", **{"dns.shown": "1"}
    )
    response = logged_in.post("/monitors/41/tests/new", data=data)
    assert response.status_code == 422
    assert 'id="dns.name-errors"' in text(response) and "required" in text(response)
    assert len(fake_api.monitors[0]["tests"]) == 1


def test_add_a_test_shows_api_errors(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    stored(fake_api)
    data = form(logged_in, "/monitors/41/tests/new", url="https://127.0.0.1/")
    response = logged_in.post("/monitors/41/tests/new", data=data)
    assert response.status_code == 422 and 'id="url-errors"' in text(response)


def test_edit_a_test(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    stored(fake_api)
    html = text(logged_in.get("/monitors/41/tests/7/edit"))
    assert 'value="https://example.com/"' in html and 'name="kind"' not in html
    data = form(
        logged_in, "/monitors/41/tests/7/edit", url="https://new.example/", interval_s="120"
    )
    response = logged_in.post("/monitors/41/tests/7/edit", data=data)
    assert response.headers["Location"] == "/monitors/41"
    assert fake_api.monitors[0]["tests"][0]["config"]["url"] == "https://new.example/"
    body = __import__("json").loads(fake_api.seen[-1].body)
    assert "kind" not in body  # a test keeps its kind


def test_edit_a_test_shows_api_errors(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    stored(fake_api)
    data = form(logged_in, "/monitors/41/tests/7/edit", interval_s="20")
    response = logged_in.post("/monitors/41/tests/7/edit", data=data)
    assert response.status_code == 422 and "Must be at least 30." in text(response)


def test_unknown_test_is_a_404(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    stored(fake_api)
    assert logged_in.get("/monitors/41/tests/8/edit").status_code == 404
    assert logged_in.get("/monitors/41/tests/8/delete").status_code == 404


def test_delete_a_test(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    stored(fake_api)
    assert "Delete" in text(logged_in.get("/monitors/41/tests/7/delete"))
    data = {"csrf_token": csrf_token(logged_in, "/monitors/41/tests/7/delete")}
    response = logged_in.post("/monitors/41/tests/7/delete", data=data)
    assert response.headers["Location"] == "/monitors/41"
    assert fake_api.monitors[0]["tests"] == []


def test_an_edit_sends_only_what_changed_so_masked_secrets_stay(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    m = stored(fake_api)
    m["tests"][0]["config"] |= {
        "headers": {"Authorization": "***"},
        "basic_auth": {"username": "ops", "password": "***"},
    }
    html = text(logged_in.get("/monitors/41/tests/7/edit"))
    assert "Authorization: ***" in html and 'value="ops"' in html
    fields = {
        "http.shown": "1",
        "http.method": "GET",
        "http.expected_status": "200",
        "http.headers": "Authorization: ***",
        "http.basic_auth": "ops",
        "http.verify_tls": "on",
        "http.follow_redirects": "on",
        "http.retries": "1",
        "http.cert_warn_days": "14",
        "http.contains": "Welcome",
        "url": "https://example.com/",
        "interval_s": "60",
        "timeout_s": "10",
        "csrf_token": csrf_token(logged_in, "/monitors/41/tests/7/edit"),
    }
    response = logged_in.post("/monitors/41/tests/7/edit", data=fields)
    assert response.status_code == 302, text(response)
    assert json.loads(fake_api.seen[-1].body) == {"contains": "Welcome"}
    assert fake_api.monitors[0]["tests"][0]["config"]["headers"] == {"Authorization": "***"}


@pytest.mark.parametrize(
    ("kind", "url", "fields", "field", "message"),
    [
        (
            "ping",
            "icmp://router.example",
            {"ping.count": "x"},
            "ping.count",
            "Enter a whole number.",
        ),
        (
            "ping",
            "icmp://router.example",
            {"ping.count": "0"},
            "ping.count",  # the API's
            "expected a whole number from 1 to 10",
        ),
        (
            "dns",
            "dns://9.9.9.9",
            {"dns.name": "example.com", "dns.record_type": "XYZ"},
            "dns.record_type",
            "Choose one of the offered values.",
        ),
        ("tcp", "https://db.example:5432/", {}, "url", "scheme must be one of tcp"),
        (
            "http",
            "https://shop.example/",
            {"http.headers": "no colon here"},
            "http.headers",
            "Write each header as Name: value.",
        ),
        (
            "http",
            "https://shop.example/",
            {"http.headers": "X-A: one\r\nX B: two"},
            "http.headers",
            "is not a header name",
        ),
        (
            "http",
            "https://shop.example/",
            {"http.regex": "("},
            "http.regex",
            "missing ), unterminated subpattern",
        ),
        (
            "http",
            "https://shop.example/",
            {"http.degraded_ms": "fast"},
            "http.degraded_ms",
            "Enter a number.",
        ),
        (
            "http",
            "https://shop.example/",
            {"http.json_path": "$.a b"},
            "http.json_path",
            "cannot read",
        ),
        (
            "smtp",
            "smtp://mail.example",
            {"smtp.ca_pem": "not a certificate"},
            "smtp.ca_pem",
            "expected PEM certificates",
        ),
        (
            "http",
            "https://shop.example/",
            {"rule.retries": "many"},
            "rule.retries",
            "Enter a whole number.",
        ),
        (
            "http",
            "https://shop.example/",
            {"rule.recover_after": "0"},
            "rule.recover_after",
            "expected a whole number 1-10",
        ),
        (
            "http",
            "https://shop.example/",
            {"rule.threshold": "max_5xx", "rule.limit": "3", "rule.window_s": "5"},
            "rule.window_s",
            "expected a whole number 10-86400",
        ),
        (
            "http",
            "https://shop.example/",
            {"rule.threshold": "sometimes"},
            "rule.threshold",
            "Choose one of the offered values.",
        ),
    ],
)
def test_garbage_in_a_kinds_fields_is_refused_beside_the_field(
    logged_in: FlaskClient,
    fake_api: FakeApi,
    kind: str,
    url: str,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    stored(fake_api)
    data = form(
        logged_in, "/monitors/41/tests/new", kind=kind, url=url, **{f"{kind}.shown": "1", **fields}
    )
    response = logged_in.post("/monitors/41/tests/new", data=data)
    assert response.status_code == 422
    html = text(response)
    errors = html.split(f'id="{field}-errors">', 1)
    assert len(errors) == 2, f"no errors beside {field}"
    assert message in errors[1].split("</ul>", 1)[0]
    assert len(fake_api.monitors[0]["tests"]) == 1  # nothing stored
