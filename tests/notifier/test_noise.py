from datetime import UTC, datetime, timedelta

from notifier.noise import MaintenanceWindow, in_maintenance, should_notify

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def test_a_one_off_window_mutes_inside_only() -> None:
    w = [MaintenanceWindow(T0, T0 + 30 * MIN)]
    assert not in_maintenance(w, 1, T0 - MIN)
    assert in_maintenance(w, 1, T0)
    assert in_maintenance(w, 1, T0 + 29 * MIN)
    assert not in_maintenance(w, 1, T0 + 30 * MIN)


def test_a_window_for_some_monitors_leaves_the_others_alone() -> None:
    w = [MaintenanceWindow(T0, T0 + 30 * MIN, frozenset({7}))]
    assert in_maintenance(w, 7, T0 + MIN)
    assert not in_maintenance(w, 8, T0 + MIN)


def test_no_window_mutes_nothing() -> None:
    assert not in_maintenance([], 1, T0)


def test_maintenance_mutes_alerts_but_not_a_channel_test() -> None:
    assert not should_notify("opened", muted=True, told_of_incident=False)
    assert should_notify("opened", muted=False, told_of_incident=False)
    assert should_notify("test", muted=True, told_of_incident=False)


def test_recovery_is_told_only_of_an_incident_that_was_told() -> None:
    assert should_notify("resolved", muted=False, told_of_incident=True)
    assert not should_notify("resolved", muted=False, told_of_incident=False)
    assert not should_notify("resolved", muted=False, told_of_incident=True, recovery_notices=False)
    assert not should_notify("reminder", muted=False, told_of_incident=False)
    assert should_notify("cert_expiring", muted=False, told_of_incident=False)
