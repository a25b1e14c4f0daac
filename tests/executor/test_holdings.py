from executor.holdings import Decision, Position, decide
from shared.messages import Assignment


def _msg(seq: int, full: bool = False, gen: str = "g1") -> Assignment:
    return Assignment("a", "eu", gen, seq, full)


def test_full_set_applies_from_nothing_and_replaces_another_generation() -> None:
    assert decide(None, _msg(1, full=True)) is Decision.APPLY
    assert decide(Position("g0", 9), _msg(1, full=True)) is Decision.APPLY


def test_next_delta_applies() -> None:
    assert decide(Position("g1", 3), _msg(4)) is Decision.APPLY


def test_gap_or_unknown_generation_asks_for_resync() -> None:
    assert decide(Position("g1", 3), _msg(5)) is Decision.RESYNC
    assert decide(None, _msg(1)) is Decision.RESYNC
    assert decide(Position("g0", 3), _msg(4)) is Decision.RESYNC


def test_old_messages_are_ignored() -> None:
    assert decide(Position("g1", 3), _msg(3)) is Decision.IGNORE
    assert decide(Position("g1", 3), _msg(2, full=True)) is Decision.IGNORE
