import pytest

from shared.netguard import ForbiddenTarget, check_literal, is_forbidden


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_private_and_local_addresses_are_forbidden(address: str) -> None:
    assert is_forbidden(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "1.1.1.1"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert not is_forbidden(address)


def test_literal_hosts_are_refused_unless_allowed() -> None:
    with pytest.raises(ForbiddenTarget):
        check_literal("127.0.0.1", allow_private=False)
    with pytest.raises(ForbiddenTarget):
        check_literal("[::1]", allow_private=False)
    check_literal("127.0.0.1", allow_private=True)
    check_literal("example.com", allow_private=False)  # names are checked when resolved
