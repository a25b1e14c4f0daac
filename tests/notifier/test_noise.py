from datetime import UTC, datetime, timedelta

from notifier.noise import (
    FlapPolicy,
    Flaps,
    MaintenanceWindow,
    in_maintenance,
    next_reminder_at,
    observe,
    reminders_due,
    should_notify,
    tick,
)

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


def test_a_weekly_window_repeats() -> None:
    w = [MaintenanceWindow(T0, T0 + 60 * MIN, every=timedelta(days=7))]
    assert in_maintenance(w, 1, T0 + timedelta(days=14, minutes=59))
    assert not in_maintenance(w, 1, T0 + timedelta(days=14, minutes=61))
    assert not in_maintenance(w, 1, T0 + timedelta(days=3))
    assert not in_maintenance(w, 1, T0 - timedelta(days=7))
    assert not in_maintenance([], 1, T0)


def _run(changes: list[bool], every: timedelta, policy: FlapPolicy) -> list[str]:
    state, events, at = Flaps(), [], T0
    for up in changes:
        state, event = observe(state, up, at, policy)
        events += [event] if event else []
        at += every
    for _ in range(30):  # then the test stays up; time passes
        state, event = tick(state, at, policy)
        events += [event] if event else []
        at += MIN
    return events


def test_a_flapping_test_is_one_incident_not_ten() -> None:
    flaps = [False, True] * 10  # down and up every 30 s for ten minutes
    events = _run(flaps, timedelta(seconds=30), FlapPolicy(changes=3, window=10 * MIN))
    assert events.count("opened") == 1
    assert events == ["opened", "resolved", "reopened", "resolved"]


def test_slow_changes_are_separate_incidents() -> None:
    events = _run([False, True] * 3, timedelta(hours=1), FlapPolicy(changes=3, window=10 * MIN))
    assert events == ["opened", "resolved"] * 3


def test_a_held_incident_resolves_only_after_a_calm_window() -> None:
    policy = FlapPolicy(changes=2, window=10 * MIN)
    state, _ = observe(Flaps(), False, T0, policy)
    state, event = observe(state, True, T0 + MIN, policy)
    assert event is None and state.open
    assert tick(state, T0 + 10 * MIN, policy)[1] is None
    state, event = tick(state, T0 + 11 * MIN, policy)
    assert event == "resolved" and not state.open


def test_reminders_follow_a_grid_from_the_start() -> None:
    every = timedelta(hours=1)
    assert reminders_due(T0, T0 + 59 * MIN, every, sent=0) == 0
    assert reminders_due(T0, T0 + 61 * MIN, every, sent=0) == 1
    assert reminders_due(T0, T0 + 61 * MIN, every, sent=1) == 0
    assert reminders_due(T0, T0 + 5 * every, every, sent=1) == 4
    assert reminders_due(T0, T0 + 5 * every, every, sent=1, limit=3) == 2
    assert reminders_due(T0, T0 + 5 * every, None, sent=0) == 0
    assert reminders_due(T0, T0 - MIN, every, sent=0) == 0
    assert next_reminder_at(T0, every, sent=2) == T0 + 3 * every


def test_maintenance_mutes_alerts_but_not_a_channel_test() -> None:
    assert not should_notify("opened", muted=True, told_of_incident=False)
    assert should_notify("opened", muted=False, told_of_incident=False)
    assert should_notify("test", muted=True, told_of_incident=False)


def test_recovery_is_told_only_of_an_incident_that_was_told() -> None:
    assert should_notify("resolved", muted=False, told_of_incident=True)
    assert not should_notify("resolved", muted=False, told_of_incident=False)
    assert not should_notify("resolved", muted=False, told_of_incident=True,
                             recovery_notices=False)
    assert not should_notify("reminder", muted=False, told_of_incident=False)
    assert should_notify("cert_expiring", muted=False, told_of_incident=False)
