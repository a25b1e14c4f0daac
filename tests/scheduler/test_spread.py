from scheduler.spread import owner, split
from shared.messages import TestSpec


def _specs(n: int) -> dict[int, TestSpec]:
    return {i: TestSpec(i, "a", "eu", "http", 60, 5.0, {}, 1) for i in range(1, n + 1)}


def test_every_test_goes_to_exactly_one_node_fairly() -> None:
    shares = split(_specs(3000), ["n1", "n2", "n3"])
    assert sum(len(s) for s in shares.values()) == 3000
    assert all(850 < len(s) < 1150 for s in shares.values())


def test_only_a_leaving_nodes_tests_move() -> None:
    before = split(_specs(1000), ["n1", "n2", "n3"])
    after = split(_specs(1000), ["n1", "n3"])
    for node in ("n1", "n3"):
        assert set(before[node]) <= set(after[node])
    assert set(after["n1"]) | set(after["n3"]) == set(range(1, 1001))


def test_no_nodes_no_shares_and_order_does_not_matter() -> None:
    assert split(_specs(5), []) == {}
    assert owner(42, ["a", "b", "c"]) == owner(42, ["c", "a", "b"])
