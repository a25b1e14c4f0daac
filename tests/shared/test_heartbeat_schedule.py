"""Heartbeat schedules: a period, cron in a time zone across DST changes, grace, and the
state a reader sees."""

from datetime import UTC, datetime

import pytest

from shared.heartbeat import Schedule, status, validate_config

pytestmark = pytest.mark.unit


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def test_a_period_expects_the_next_ping_one_period_after_the_last_success() -> None:
    s = Schedule(period_s=3600, grace_s=300)
    assert s.expected_after(ms("2026-05-01T10:00:00+00:00")) == ms("2026-05-01T11:00:00+00:00")
    assert s.down_at(ms("2026-05-01T10:00:00+00:00"), []) == ms("2026-05-01T11:05:00+00:00")


def test_a_started_run_must_end_within_grace_even_before_the_expected_time() -> None:
    s = Schedule(period_s=86400, grace_s=600)
    last, start = ms("2026-05-01T00:00:00+00:00"), ms("2026-05-01T03:00:00+00:00")
    assert s.down_at(last, [start]) == ms("2026-05-01T03:10:00+00:00")
    assert s.down_at(None, []) is None  # never pinged: nothing awaited
    assert s.down_at(None, [start]) == ms("2026-05-01T03:10:00+00:00")


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        # 02:30 does not exist on 2026-03-29 in Amsterdam (02:00 -> 03:00): it fires at the jump.
        ("2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00"),
        ("2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"),
        # 02:30 happens twice on 2026-10-25 (03:00 -> 02:00): once only, the first time.
        ("2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00"),
        ("2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"),
    ],
)
def test_cron_in_amsterdam_across_dst(last: str, expected: str) -> None:
    s = Schedule(period_s=0, grace_s=60, cron="30 2 * * *", tz="Europe/Amsterdam")
    assert s.expected_after(ms(last)) == ms(expected)


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        # New York springs forward on 2026-03-08 at 02:00 and falls back on 2026-11-01 at 02:00.
        ("2026-03-07T09:00:00-05:00", "2026-03-08T09:00:00-04:00"),  # 23 hours apart
        ("2026-10-31T09:00:00-04:00", "2026-11-01T09:00:00-05:00"),  # 25 hours apart
        ("2026-11-01T01:15:00-04:00", "2026-11-01T01:45:00-04:00"),
    ],
)
def test_cron_in_new_york_keeps_local_time_across_dst(last: str, expected: str) -> None:
    cron = "45 1 * * *" if "01:15" in last else "0 9 * * *"
    s = Schedule(period_s=0, grace_s=60, cron=cron, tz="America/New_York")
    assert s.expected_after(ms(last)) == ms(expected)


def test_config_defaults_and_garbage_name_the_field() -> None:
    assert validate_config({}) == {"cron": None, "tz": "UTC", "grace_s": 3600}
    assert validate_config({"cron": "*/5 * * * *", "tz": "Europe/Amsterdam", "grace_s": 60})
    for bad, field in [
        ({"cron": "61 * * * *"}, "cron"),
        ({"cron": "nonsense"}, "cron"),
        ({"cron": 5}, "cron"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"tz": "../../etc/passwd"}, "tz"),
        ({"tz": ""}, "tz"),
        ({"grace_s": 0}, "grace_s"),
        ({"grace_s": "60"}, "grace_s"),
        ({"grace_s": True}, "grace_s"),
    ]:
        with pytest.raises(ValueError) as caught:
            validate_config(bad)
        assert str(caught.value).startswith(f"{field}:"), (bad, caught.value)


def test_status_new_up_late_down_paused() -> None:
    now = ms("2026-05-01T12:00:00+00:00")
    assert status(False, "up", None, now) == "paused"
    assert status(True, "new", None, now) == "new"
    assert status(True, "down", None, now) == "down"
    assert status(True, "up", now + 1, now) == "up"
    assert status(True, "up", now, now) == "late"
    assert datetime.fromtimestamp(now / 1000, UTC).hour == 12
