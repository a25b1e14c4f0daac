from executor import checks
from shared.messages import CHECK_KINDS


def test_every_kind_in_the_schema_has_a_registered_check() -> None:
    for kind in CHECK_KINDS:
        assert callable(checks.get(kind)), kind
    assert set(checks.REGISTRY) == set(CHECK_KINDS)
