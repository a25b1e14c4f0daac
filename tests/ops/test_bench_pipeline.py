"""The pipeline bench's own arithmetic: the target's mix and the lateness quantiles."""

from __future__ import annotations

import math

import pytest

from benchmark.pipeline import _quantile, behaviour, is_https

pytestmark = pytest.mark.unit


def test_the_real_mix_has_one_percent_timeouts_and_5xx_and_80_percent_https() -> None:
    ids = range(1, 10_001)
    answers = [behaviour(i, "real") for i in ids]
    assert sum(status == 0 for status, _ in answers) == 100
    assert sum(status == 503 for status, _ in answers) == 100
    assert all(0.02 <= delay <= 0.5 for status, delay in answers if status == 200)
    assert sum(is_https(i, "real") for i in ids) == 8_000


def test_the_plain_mix_answers_everything_at_once_over_http() -> None:
    assert {behaviour(i, "plain") for i in range(1, 500)} == {(200, 0.0)}
    assert not any(is_https(i, "plain") for i in range(1, 500))


def test_quantiles_come_from_the_window_not_from_the_counts_before_it() -> None:
    before = {0.01: 100.0, 0.1: 100.0, math.inf: 100.0}
    after = {0.01: 101.0, 0.1: 199.0, math.inf: 200.0}  # 100 in the window, 98 within 0.1 s
    assert _quantile(before, after, 0.5) == 0.1
    assert _quantile(before, after, 0.99) == 0.1
    assert _quantile(before, after, 0.995) == math.inf
    assert math.isnan(_quantile(after, after, 0.5))
