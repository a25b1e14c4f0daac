"""Status pages, notification channels and maintenance windows: lists, forms, deletes."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from tests.frontend.fake_api import FakeApi, monitor
from tests.frontend.helpers import csrf_token, text


def post(client: FlaskClient, path: str, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={**fields, "csrf_token": csrf_token(client, "/dashboard")})


def sent(fake_api: FakeApi, path: str) -> dict:  # type: ignore[type-arg]
    return json.loads([s for s in fake_api.seen if s.path == path][-1].body)


def test_pages_need_a_log_in(client: FlaskClient) -> None:
    for path in ("/status-pages", "/status-pages/1", "/channels", "/maintenance"):
        assert client.get(path).headers["Location"] == "/login"


def test_create_a_status_page(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    assert "No status pages yet." in text(logged_in.get("/status-pages"))
    response = post(
        logged_in,
        "/status-pages",
        title="ACME",
        slug="ACME",
        language="de",
        groups="Web, API ,",
        logo_url="",
    )
    assert response.status_code == 302
    body = sent(fake_api, "/api/v1/status-pages")
    assert body == {
        "slug": "acme",
        "title": "ACME",
        "language": "de",
        "groups": ["Web", "API"],
        "logo_url": None,
    }
    html = text(logged_in.get("/status-pages"))
    assert "ACME" in html and 'href="/s/acme"' in html


def test_groups_by_tag_are_sent_as_a_map(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    response = post(
        logged_in,
        "/status-pages",
        title="ACME",
        slug="acme",
        language="en",
        groups="Web, API",
        group_tags=" Web = web , API=backend,",
        logo_url="",
    )
    assert response.status_code == 302
    body = sent(fake_api, "/api/v1/status-pages")
    assert body["group_tags"] == {"Web": "web", "API": "backend"}


def test_a_group_tag_without_equals_is_marked_and_not_sent(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    response = post(
        logged_in,
        "/status-pages",
        title="ACME",
        slug="acme",
        language="en",
        groups="Web",
        group_tags="web",
        logo_url="",
    )
    assert response.status_code == 422
    assert "Write each as group=tag" in text(response)
    assert [
        s for s in fake_api.seen if s.path == "/api/v1/status-pages" and s.method == "POST"
    ] == []


def test_status_page_form_errors(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    response = post(
        logged_in, "/status-pages", title="", slug="", language="en", groups="", logo_url=""
    )
    assert response.status_code == 422
    assert 'id="title-errors"' in text(response) and 'id="slug-errors"' in text(response)
    fake_api.refuse_with = (409, "this slug is taken")
    response = post(
        logged_in, "/status-pages", title="A", slug="taken", language="en", groups="", logo_url=""
    )
    assert "this slug is taken" in text(response)
    fake_api.refuse_with = (
        422,
        [
            {
                "type": "value_error",
                "loc": ["body", "logo_url"],
                "msg": "Value error, must start with https://",
            }
        ],
    )
    response = post(
        logged_in,
        "/status-pages",
        title="A",
        slug="abc",
        language="en",
        groups="",
        logo_url="http://x",
    )
    assert 'id="logo_url-errors"' in text(response) and "must start with https://" in text(response)


def test_edit_a_status_page_and_its_monitors(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.collections["status-pages"] = [
        {
            "id": 5,
            "slug": "acme",
            "title": "ACME",
            "language": "en",
            "groups": ["Web"],
            "logo_url": None,
        }
    ]
    m = monitor("Shop", monitor_id="41")
    m["id"] = 41
    fake_api.monitors.append(m)
    html = text(logged_in.get("/status-pages/5"))
    assert 'value="ACME"' in html and '<option value="41">Shop</option>' in html
    assert (
        post(
            logged_in,
            "/status-pages/5",
            title="ACME Inc",
            slug="acme",
            language="en",
            groups="Web",
            logo_url="",
        ).status_code
        == 302
    )
    assert fake_api.collections["status-pages"][0]["title"] == "ACME Inc"
    assert (
        post(logged_in, "/status-pages/5/monitors", monitor_id="41", group="Web").status_code == 302
    )
    assert fake_api.collections["pages/5/monitors"][0]["group"] == "Web"
    assert "m41 (Web)" in text(logged_in.get("/status-pages/5"))
    assert post(logged_in, "/status-pages/5/monitors/41/delete").status_code == 302
    assert fake_api.collections["pages/5/monitors"] == []
    response = post(logged_in, "/status-pages/5/monitors", monitor_id="x", group="")
    assert response.status_code == 422 and 'id="monitor_id-errors"' in text(response)
    fake_api.refuse_with = (409, "the monitor is on this page")
    response = post(logged_in, "/status-pages/5/monitors", monitor_id="41", group="")
    assert "the monitor is on this page" in text(response)
    assert post(logged_in, "/status-pages/5/delete").headers["Location"] == "/status-pages"
    assert fake_api.collections["status-pages"] == []
    assert logged_in.get("/status-pages/5").status_code == 404


@pytest.mark.parametrize(
    ("fields", "config"),
    [
        (
            {"kind": "email", "to": "a@example.com, b@example.com"},
            {"to": ["a@example.com", "b@example.com"]},
        ),
        ({"kind": "slack", "url": "https://hooks.example/x"}, {"url": "https://hooks.example/x"}),
        (
            {"kind": "webhook", "url": "https://hooks.example/y", "secret": "s3cret-s3cret"},
            {"url": "https://hooks.example/y", "secret": "s3cret-s3cret"},
        ),
        (
            {"kind": "telegram", "chat_id": "@vigil_alerts", "token": "1:abc"},
            {"chat_id": "@vigil_alerts", "token": "1:abc"},
        ),
    ],
)
def test_create_a_channel(
    logged_in: FlaskClient, fake_api: FakeApi, fields: dict[str, str], config: dict[str, object]
) -> None:
    assert post(logged_in, "/channels", name="Ops", **fields).status_code == 302
    assert sent(fake_api, "/api/v1/notification-channels")["config"] == config
    assert "Ops" in text(logged_in.get("/channels"))


def test_channel_form_errors(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    response = post(logged_in, "/channels", name="", kind="pigeon")
    assert response.status_code == 422
    assert 'id="name-errors"' in text(response) and 'id="kind-errors"' in text(response)
    response = post(logged_in, "/channels", name="Ops", kind="telegram", chat_id="")
    assert 'id="chat_id-errors"' in text(response) and 'id="token-errors"' in text(response)
    fake_api.refuse_with = (
        422,
        [
            {
                "type": "value_error",
                "loc": ["body", "config", "to", 0],
                "msg": "value is not a valid email address",
            }
        ],
    )
    response = post(logged_in, "/channels", name="Ops", kind="email", to="nope")
    assert 'id="to-errors"' in text(response)


def test_delete_a_channel(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.collections["notification-channels"] = [{"id": 3, "name": "Ops", "kind": "email"}]
    assert post(logged_in, "/channels/3/delete").headers["Location"] == "/channels"
    assert fake_api.collections["notification-channels"] == []
    assert post(logged_in, "/channels/3/delete").status_code == 302  # already gone


def test_plan_maintenance(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.collections["status-pages"] = [{"id": 5, "slug": "acme", "title": "ACME"}]
    assert "No maintenance planned." in text(logged_in.get("/maintenance"))
    assert '<option value="page:5"' in text(logged_in.get("/maintenance"))
    response = post(
        logged_in,
        "/maintenance",
        title="DB",
        starts_at="2026-02-01T10:00",
        ends_at="2026-02-01T11:00",
        target="page:5",
    )
    assert response.status_code == 302
    assert sent(fake_api, "/api/v1/maintenance-windows") == {
        "title": "DB",
        "starts_at": "2026-02-01T10:00:00+00:00",
        "ends_at": "2026-02-01T11:00:00+00:00",
        "status_page_id": 5,
    }
    html = text(logged_in.get("/maintenance?lang=fr"))
    assert "DB" in html and "1 févr. 2026" in html


def test_maintenance_form_errors(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    response = post(logged_in, "/maintenance", title="", starts_at="soon", ends_at="", target="x")
    assert response.status_code == 422
    for name in ("title", "starts_at", "ends_at", "target"):
        assert f'id="{name}-errors"' in text(response)
    fake_api.refuse_with = (
        422,
        [
            {
                "type": "value_error",
                "loc": ["body"],
                "msg": "Value error, ends_at must be after starts_at",
            }
        ],
    )
    response = post(
        logged_in,
        "/maintenance",
        title="DB",
        starts_at="2026-02-01T10:00",
        ends_at="2026-02-01T09:00",
        target="monitor:41",
    )
    assert "ends_at must be after starts_at" in text(response)
    fake_api.refuse_with = (
        422,
        [{"type": "value_error", "loc": ["body", "monitor_id"], "msg": "monitor not found"}],
    )
    response = post(
        logged_in,
        "/maintenance",
        title="DB",
        starts_at="2026-02-01T10:00",
        ends_at="2026-02-01T11:00",
        target="monitor:41",
    )
    assert 'id="target-errors"' in text(response)


def test_delete_a_window(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.collections["maintenance-windows"] = [
        {
            "id": 9,
            "title": "DB",
            "starts_at": "2026-02-01T10:00:00+00:00",
            "ends_at": "2026-02-01T11:00:00+00:00",
        }
    ]
    assert "DB" in text(logged_in.get("/maintenance"))
    assert post(logged_in, "/maintenance/9/delete").headers["Location"] == "/maintenance"
    assert fake_api.collections["maintenance-windows"] == []


def test_garbage_window_times_are_a_502(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.collections["maintenance-windows"] = [{"id": 9, "title": "DB", "starts_at": "x"}]
    assert logged_in.get("/maintenance").status_code == 502


def test_plan_a_weekly_window_in_the_form_s_zone(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.collections["status-pages"] = [{"id": 5, "slug": "acme", "title": "ACME"}]
    response = post(
        logged_in,
        "/maintenance",
        title="Patch",
        zone="Europe/Amsterdam",
        starts_at="2026-03-23T09:00",
        ends_at="2026-03-23T10:00",
        target="page:5",
        repeat="weekly",
    )
    assert response.status_code == 302, text(response)
    assert sent(fake_api, "/api/v1/maintenance-windows") == {
        "title": "Patch",
        "starts_at": "2026-03-23T08:00:00+00:00",
        "ends_at": "2026-03-23T09:00:00+00:00",
        "status_page_id": 5,
        "recurrence": "FREQ=WEEKLY",
        "timezone": "Europe/Amsterdam",
    }
    response = post(
        logged_in,
        "/maintenance",
        title="Patch",
        starts_at="2026-03-23T09:00",
        ends_at="2026-03-23T10:00",
        target="page:5",
        repeat="hourly",
    )
    assert response.status_code == 422 and 'id="repeat-errors"' in text(response)
    fake_api.refuse_with = (
        422,
        [
            {
                "type": "value_error",
                "loc": ["body", "recurrence"],
                "msg": "Value error, FREQ must be WEEKLY or MONTHLY",
            }
        ],
    )
    response = post(
        logged_in,
        "/maintenance",
        title="Patch",
        starts_at="2026-03-23T09:00",
        ends_at="2026-03-23T10:00",
        target="page:5",
        repeat="monthly",
    )
    assert 'id="repeat-errors"' in text(response) and "FREQ must be" in text(response)
