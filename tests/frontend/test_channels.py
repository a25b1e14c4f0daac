"""A notification channel's page: its delivery attempts, the test button, linked monitors."""

from __future__ import annotations

import html
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.frontend.fake_api import FakeApi, monitor
from tests.frontend.helpers import csrf_token, text


@pytest.fixture
def channel(fake_api: FakeApi, app: Flask) -> dict[str, Any]:
    app.config["VIGIL_TEST_WAIT_S"] = 0.3  # a test notification nobody sends waits this long
    made = {
        "id": 3,
        "name": "Ops mail",
        "kind": "email",
        "config": {"to": ["ops@x.test"]},
        "enabled": True,
    }
    fake_api.collections["notification-channels"] = [made]
    for mid, name in ((41, "Shop"), (42, "Blog")):
        m = monitor(name, monitor_id=str(mid))
        m["id"], m["tests"][0]["id"] = mid, mid + 100
        fake_api.monitors.append(m)
    return made


def attempt(n: int, key: str, outcome: str = "sent", **extra: Any) -> dict[str, Any]:
    """An attempt as the API lists it; its fields say what it told (the key is not read)."""
    return {
        "id": n,
        "key": key,
        "attempt": 1,
        "attempted_at": f"2026-01-02T08:{n % 60:02}:00Z",
        "duration_ms": 5.0,
        "outcome": outcome,
        "permanent": False,
        "error": None,
        "detail": None,
        "event": "other",
        "incident_id": None,
        "test_id": None,
        "exit_code": None,
        "output": None,
        **extra,
    }


def opened(n: int, incident_id: int) -> dict[str, Any]:
    return attempt(
        n, f"incident/a/{incident_id}/opened/3", event="incident_opened", incident_id=incident_id
    )


def post(client: FlaskClient, path: str, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={**fields, "csrf_token": csrf_token(client, "/dashboard")})


def test_channel_page_needs_a_log_in(client: FlaskClient) -> None:
    assert client.get("/channels/3").headers["Location"] == "/login"
    assert client.post("/channels/3/test").status_code in (302, 400)


def test_the_list_links_to_the_channel(logged_in: FlaskClient, channel: dict) -> None:
    assert 'href="/channels/3"' in text(logged_in.get("/channels"))


@pytest.mark.parametrize(
    ("lang", "label"),
    [("en", "Delete Ops mail"), ("de", "„Ops mail“ löschen"), ("fr", "Supprimer « Ops mail »")],
)
def test_a_delete_button_names_its_channel_for_screen_readers(
    logged_in: FlaskClient, channel: dict, lang: str, label: str
) -> None:
    page = text(logged_in.get(f"/channels?lang={lang}"))
    assert f'aria-label="{html.escape(label)}"' in page


def test_attempts_newest_first_with_events_and_hook_output(
    logged_in: FlaskClient, fake_api: FakeApi, channel: dict
) -> None:
    fake_api.collections["channels/3/attempts"] = [
        opened(1, 77),
        attempt(
            2,
            "incident/a/77/resolved/3",
            "retry",
            error="HTTP 503",
            event="incident_resolved",
            incident_id=77,
        ),
        attempt(
            3,
            "test/3/abc/3",
            "failed",
            error="hook page exit 2: no <pager> here",
            detail="hook page exit 2: no <pager> here",
            permanent=True,
            event="test",
            exit_code=2,
            output="no <pager> here",
        ),
        attempt(4, "something/else"),
        attempt(5, "cert/a/9/2026-03-01/3", event="cert_expiring", test_id=9),
        attempt(
            6,
            "incident/a/78/reminder/1/3",
            event="incident_reminder",
            incident_id=78,
            exit_code=0,
            output="",
        ),
    ]
    html = text(logged_in.get("/channels/3"))
    assert (
        html.index("Reminder")
        < html.index("Certificate expiry notice")
        < html.index("something/else")
    )
    assert (
        html.index("something/else")
        < html.index("Test notification")
        < html.index("Incident resolved")
        < html.index("Incident opened")
    )
    assert 'href="/incidents/77"' in html and 'href="/incidents/78"' in html
    assert "HTTP 503" in html and "Will retry" in html
    assert "Exit code 2" in html and "no &lt;pager&gt; here" in html and "Exit code 0" in html
    assert "The newest 6 of 6 attempts" in html
    [asked] = fake_api.requests_to("/api/v1/notification-channels/3/attempts")
    assert (asked.query["order"], asked.query["limit"]) == (["newest"], ["50"])
    html = text(logged_in.get("/channels/3?lang=fr"))
    assert "Tentatives d’envoi" in html and "Code de sortie 2" in html


def test_the_frontend_reads_fields_not_text(
    logged_in: FlaskClient, fake_api: FakeApi, channel: dict
) -> None:
    """A key or note that looks like an event or a hook's exit is not parsed: what the API
    says is shown (an event it does not know, ids that are not ids, as the key or nothing)."""
    fake_api.collections["channels/3/attempts"] = [
        attempt(1, "incident/a/77/opened/3", detail="hook page exit 4: text only"),
        attempt(
            2,
            "odd/key",
            event="incident_paused",
            incident_id="12",
            exit_code="1",
            output="not with an exit code",
        ),
        attempt(
            3,
            "odd/bool",
            event=None,
            incident_id=True,
            exit_code=None,
            output="no exit code, no output",
        ),
    ]
    html = text(logged_in.get("/channels/3"))
    assert "incident/a/77/opened/3" in html and "odd/key" in html and "odd/bool" in html
    assert 'href="/incidents/' not in html and "Exit code" not in html
    assert "hook page exit 4: text only" in html  # the detail, as it came
    assert "not with an exit code" not in html and "no exit code, no output" not in html


def test_only_the_newest_page_is_read(
    logged_in: FlaskClient, fake_api: FakeApi, channel: dict
) -> None:
    fake_api.collections["channels/3/attempts"] = [opened(n, n) for n in range(1, 61)]
    html = text(logged_in.get("/channels/3"))
    assert 'href="/incidents/60"' in html and 'href="/incidents/11"' in html
    assert 'href="/incidents/10"' not in html
    assert "The newest 50 attempts" in html and " of " not in html.split("<caption>")[1][:60]
    asked = fake_api.requests_to("/api/v1/notification-channels/3/attempts")
    assert [(s.query.get("order"), s.query.get("cursor")) for s in asked] == [(["newest"], None)]
    html = text(logged_in.get("/channels/3?lang=nl"))
    assert "De nieuwste 50 pogingen" in html


def test_no_attempts_yet(logged_in: FlaskClient, channel: dict) -> None:
    assert "Nothing has been sent to this channel yet." in text(logged_in.get("/channels/3"))


def test_unknown_channel_is_404(logged_in: FlaskClient, channel: dict) -> None:
    assert logged_in.get("/channels/9").status_code == 404
    assert post(logged_in, "/channels/9/test").status_code == 404


@pytest.mark.parametrize(
    ("outcome", "error", "flash"),
    [
        ("sent", None, "Test notification sent."),
        ("failed", "550 no such mailbox", "The test notification failed: 550 no such mailbox"),
        (
            "retry",
            "connection refused",
            "The test notification failed and will be retried: connection refused",
        ),
    ],
)
def test_send_a_test_notification_flashes_its_outcome(
    logged_in: FlaskClient,
    fake_api: FakeApi,
    channel: dict,
    outcome: str,
    error: str | None,
    flash: str,
) -> None:
    fake_api.collections["channels/3/attempts"] = [
        attempt(1, "incident/a/7/opened/3", "failed", error="old failure"),
        *(opened(n, n) for n in range(2, 80)),
    ]  # more than a page before the test
    fake_api.test_attempt = {"outcome": outcome, "error": error}
    response = post(logged_in, "/channels/3/test")
    assert response.headers["Location"] == "/channels/3"
    html = text(logged_in.get("/channels/3"))
    assert flash in html and "old failure" not in flash


def test_a_test_nobody_sends_yet_is_reported_queued(
    logged_in: FlaskClient, fake_api: FakeApi, channel: dict
) -> None:
    logged_in.get("/channels/3?lang=de")  # the flash is written in the session's language
    post(logged_in, "/channels/3/test")
    assert "Testbenachrichtigung eingereiht" in text(logged_in.get("/channels/3"))
    assert len(fake_api.requests_to("/api/v1/notification-channels/3/test")) == 1


def test_test_errors_are_flashed(logged_in: FlaskClient, fake_api: FakeApi, channel: dict) -> None:
    fake_api.refuse_with = (403, "viewers cannot change anything")
    post(logged_in, "/channels/3/test")
    assert "viewers cannot change anything" in text(logged_in.get("/channels/3"))
    assert logged_in.post("/channels/3/test").status_code == 400  # no CSRF token


def test_a_broker_outage_is_flashed(
    logged_in: FlaskClient, fake_api: FakeApi, channel: dict
) -> None:
    fake_api.refuse_with = (503, "the notifier's queue cannot be reached; try again later")
    assert post(logged_in, "/channels/3/test").headers["Location"] == "/channels/3"
    assert "could not be queued just now" in text(logged_in.get("/channels/3"))


def test_link_and_unlink_monitors(logged_in: FlaskClient, fake_api: FakeApi, channel: dict) -> None:
    html = text(logged_in.get("/channels/3"))
    assert "No monitor alerts through this channel yet." in html
    assert '<option value="41">Shop</option>' in html
    assert post(logged_in, "/channels/3/monitors", monitor_id="41").status_code == 302
    assert fake_api.collections["channels/3/monitors"] == [{"monitor_id": 41, "name": "m41"}]
    html = text(logged_in.get("/channels/3"))
    assert 'href="/monitors/41">m41</a>' in html and '<option value="41">' not in html
    assert "Alerts go to" in text(logged_in.get("/monitors/41"))
    assert 'href="/channels/3">Ops mail' in text(logged_in.get("/monitors/41"))
    assert 'href="/channels/3"' not in text(logged_in.get("/monitors/42"))
    assert post(logged_in, "/channels/3/monitors/41/delete").status_code == 302
    assert fake_api.collections["channels/3/monitors"] == []
    assert "No notification channel alerts" in text(logged_in.get("/monitors/41"))


@pytest.mark.parametrize("garbage", ["", "x", "-1", "4 2", "<b>", "٣"])
def test_link_garbage(
    logged_in: FlaskClient, fake_api: FakeApi, channel: dict, garbage: str
) -> None:
    response = post(logged_in, "/channels/3/monitors", monitor_id=garbage)
    assert response.status_code == 422 and 'id="monitor_id-errors"' in text(response)
    assert not fake_api.requests_to("/api/v1/notification-channels/3/monitors") or all(
        s.method == "GET" for s in fake_api.requests_to("/api/v1/notification-channels/3/monitors")
    )


def test_link_errors_from_the_api(logged_in: FlaskClient, fake_api: FakeApi, channel: dict) -> None:
    fake_api.refuse_with = (409, "the monitor uses this channel")
    response = post(logged_in, "/channels/3/monitors", monitor_id="41")
    assert response.status_code == 422 and "the monitor uses this channel" in text(response)
    fake_api.refuse_with = (
        422,
        [
            {
                "type": "value_error",
                "loc": ["body", "monitor_id"],
                "msg": "Value error, no such monitor",
            }
        ],
    )
    response = post(logged_in, "/channels/3/monitors", monitor_id="41")
    assert 'id="monitor_id-errors"' in text(response) and "no such monitor" in text(response)
