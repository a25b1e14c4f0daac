"""The pairing of requests at the target with stored rows, which the fault tests rely on."""

import pytest

from tests.faults.ledger import TOLERANCE_MS, tally

pytestmark = pytest.mark.unit


def test_each_request_paired_with_its_row_is_exact() -> None:
    seen = {1: [1_010, 3_005, 5_020], 2: [2_001, 4_002]}
    rows = {1: [1_000, 3_000, 5_000], 2: [2_000, 4_000]}
    t = tally(seen, rows, 0, 10_000)
    assert (t.seen, t.stored, t.lost, t.doubled, t.unseen) == (5, 5, 0, 0, 0) and t.exact


def test_a_missing_row_is_lost_and_a_repeated_row_doubled() -> None:
    seen = {1: [1_010, 3_005, 5_020]}
    t = tally(seen, {1: [1_000, 5_000, 5_000]}, 0, 10_000)
    assert (t.lost, t.doubled, t.unseen) == (1, 1, 0) and not t.exact
    assert t.lost_at == [3_005]


def test_a_row_without_a_request_is_unseen() -> None:
    t = tally({1: [1_010]}, {1: [1_000, 3_000]}, 0, 10_000)
    assert (t.lost, t.unseen) == (0, 1) and not t.exact


def test_a_request_too_long_after_the_check_does_not_pair() -> None:
    t = tally({1: [1_000 + TOLERANCE_MS + 1]}, {1: [1_000]}, 0, 10_000)
    assert (t.lost, t.unseen) == (1, 1)


def test_checks_straddling_the_edges_count_on_neither_side_alone() -> None:
    # Started inside the window, arrived just after it; and started just before the window,
    # arrived inside: each is paired across the edge, so nothing is lost nor unseen.
    t = tally({1: [2_000], 2: [1_002]}, {1: [1_995], 2: [998]}, 1_000, 1_999)
    assert (t.seen, t.stored, t.lost, t.unseen) == (1, 1, 0, 0) and t.exact
