"""Pure: a public page's figures per period and SLA verdicts (api.public_periods)."""

from __future__ import annotations

import pytest

from api import public_periods

pytestmark = pytest.mark.unit


def test_a_page_shows_the_periods_up_to_its_length() -> None:
    assert list(public_periods.periods_of(30)) == ["24h", "7d", "30d"]
    assert list(public_periods.periods_of(90)) == ["24h", "7d", "30d", "90d"]
    assert list(public_periods.periods_of(365)) == ["24h", "7d", "30d", "90d", "365d"]


def test_figures_weigh_days_by_their_checks() -> None:
    # 29 closed days, oldest first: a quiet bad day long ago, busy good days since.
    closed = [(10, 5, 0, 5, 500.0)] + [None] * 20 + [(1000, 1, 0, 999, 9990.0)] * 8
    sums = public_periods.closed_sums(closed, 30)
    today = (100, 0, 0, 100, 2000.0)
    out = public_periods.figures(sums, today)
    assert out["24h"] == {"uptime": 1.0, "response_ms": 20.0, "checks": 100}
    # 7d: today and the six days before it (all busy and good)
    assert out["7d"] == {
        "uptime": round(6094 / 6100, 5),
        "response_ms": round((6 * 9990 + 2000) / (6 * 999 + 100), 1),
        "checks": 6100,
    }
    assert out["30d"]["checks"] == 10 + 8000 + 100
    assert out["30d"]["uptime"] == round((8110 - 13) / 8110, 5)  # not a mean of days


def test_a_period_without_checks_has_no_figure() -> None:
    out = public_periods.figures(public_periods.closed_sums([None] * 89, 90), None)
    assert out["90d"] == {"uptime": None, "response_ms": None, "checks": 0}
    assert public_periods.sla(99.9, out["90d"]) == {"target": 99.9, "uptime": None, "met": None}


@pytest.mark.parametrize(("uptime", "met"), [(0.999, True), (0.99899, False), (1.0, True)])
def test_sla_met_at_or_above_the_target(uptime: float, met: bool) -> None:
    assert public_periods.sla(99.9, {"uptime": uptime})["met"] is met  # type: ignore[index]
    assert public_periods.sla(None, {"uptime": uptime}) is None
