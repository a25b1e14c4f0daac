"""api.attempt_fields reads the keys and hook notes the notifier writes: made here by the
notifier's own functions, so a change of format there fails here, not in a client."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api import notify
from api.attempt_fields import fields, hook_fields, key_fields
from notifier import certs, fanout
from notifier.errors import DeliveryError
from notifier.hooks import _verdict
from shared.delivery_keys import for_channel as delivery_key
from shared.messages import CertEvent, IncidentEvent

NONE = {"event": "other", "incident_id": None, "test_id": None}
NO_HOOK = {"exit_code": None, "output": None}


def incident(kind: str, state: str = "down") -> IncidentEvent:
    return IncidentEvent(
        kind=kind,
        cell="cell-b_2",
        incident_id=77,
        test_id=9,
        monitor_id=4,
        state=state,
        cause="timeout",
        started_at_ms=1,
        confirmed_at_ms=2,
        resolved_at_ms=3 if kind == "resolved" else None,
    )


@pytest.mark.parametrize(
    ("event_key", "expected"),
    [
        (fanout.event_key(incident("opened"), "m1"), "incident_opened"),
        (fanout.event_key(incident("resolved", "resolved"), None), "incident_resolved"),
        (fanout.event_key(incident("changed", "degraded"), "7f3a-9/x"), "incident_changed"),
        (fanout.event_key(incident("changed"), None), "incident_changed"),  # no message id
        (fanout.event_key(incident("reminder"), "3"), "incident_reminder"),
    ],
)
def test_incident_keys(event_key: str, expected: str) -> None:
    assert key_fields(delivery_key(event_key, 12)) == {
        "event": expected,
        "incident_id": 77,
        "test_id": None,
    }


def test_certificate_keys_carry_the_test() -> None:
    event = CertEvent(
        cell="a",
        test_id=9123,
        monitor_id=4,
        expires_at_ms=1_790_000_000_000,
        checked_at_ms=1_780_000_000_000,
        days=12.5,
        region="eu",
    )
    assert key_fields(delivery_key(certs.event_key(event), 3)) == {
        "event": "cert_expiring",
        "incident_id": None,
        "test_id": 9123,
    }


def test_test_notification_keys() -> None:
    body = json.loads(notify.test_delivery(3, "webhook", 1, "sealed", "ops"))
    assert key_fields(body["key"]) == {**NONE, "event": "test"}


def _note(code: int, output: bytes) -> tuple[str | None, str | None]:
    """(error, detail) of an attempt, as the notifier's engine records a hook's verdict."""
    try:
        return None, _verdict("page", code, output)
    except DeliveryError as exc:
        return exc.message, exc.detail


@pytest.mark.parametrize(
    ("code", "output", "expected"),
    [
        (0, b"paged the on-call\n", {"exit_code": 0, "output": "paged the on-call"}),
        (0, b"", {"exit_code": 0, "output": ""}),
        (3, b"no pager\nat all: really", {"exit_code": 3, "output": "no pager\nat all: really"}),
        (75, b"busy", {"exit_code": 75, "output": "busy"}),
        (-9, b"", {"exit_code": -9, "output": ""}),  # killed by a signal
    ],
)
def test_hook_exit_codes_and_output(code: int, output: bytes, expected: dict[str, Any]) -> None:
    error, detail = _note(code, output)
    assert hook_fields("hook", error, detail) == expected
    assert hook_fields("hook", error, None) == (expected if error else NO_HOOK)
    assert hook_fields("webhook", error, detail) == NO_HOOK  # only hooks have exit codes


@pytest.mark.parametrize(
    "key",
    [
        "",
        "k/1",
        "test",
        "test/3",
        "test/x/abc/3",
        "test/3/ABC/3",
        "test/3/abc/3/4",
        "cert/a/9/2026-03-01",
        "cert/a/9/tomorrow/3",
        "cert/A/9/2026-03-01/3",
        "cert/a/0/2026-03-01/3",
        "cert/a/x/2026-03-01/3",
        "incident/a/77/opened",
        "incident/a/77/closed/3",
        "incident/a/x/opened/3",
        "incident/a/٣/opened/3",
        "incident/a/-7/opened/3",
        "incident/a/0/opened/3",
        "incident/a/9223372036854775808/opened/3",  # past BIGINT
        "incident/a/77/opened/3\n",
        "incident//77/opened/3",
        "incident/a/77/reminder/x/3",
        "incident/a/77/changed",
        "incident/a/77/changed/DOWN/m/3",
        "INCIDENT/a/77/opened/3",
        "incident/a/77/opened/3/extra",
        "\x00",
        "/" * 200,
    ],
)
def test_garbage_keys_are_other(key: str) -> None:
    assert key_fields(key) == NONE


@pytest.mark.parametrize(
    "note",
    [
        None,
        "",
        "HTTP 200: ok",
        "hook page exit",
        "hook page exit two: x",
        "hook exit 3",
        "hook page exit 3 and more",
        "exit 3: x",
        "hook page exit 99999999999: x",
        "cannot start hook /bin/x: [Errno 2] No such file",
        "hook timed out after 5 s",
    ],
)
def test_garbage_hook_notes_are_null(note: str | None) -> None:
    assert hook_fields("hook", note, note) == NO_HOOK


def test_fields_are_the_union() -> None:
    assert fields("incident/a/5/opened/3", "hook", None, "hook p exit 0") == {
        "event": "incident_opened",
        "incident_id": 5,
        "test_id": None,
        "exit_code": 0,
        "output": "",
    }
    assert fields("junk", "email", "hook p exit 0", None) == {**NONE, **NO_HOOK}
