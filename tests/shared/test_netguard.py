import pytest

from shared.netguard import ForbiddenTarget, is_forbidden, resolve_checked


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1",
                                     "::ffff:192.168.0.1", "0.0.0.0"])
def test_private_and_local_addresses_are_forbidden(address: str) -> None:
    assert is_forbidden(address)


async def test_resolution_refuses_local_names_unless_allowed() -> None:
    with pytest.raises(ForbiddenTarget):
        await resolve_checked("localhost", 25, allow_private=False)
    with pytest.raises(ForbiddenTarget):
        await resolve_checked("127.0.0.1", 25, allow_private=False)
    assert await resolve_checked("127.0.0.1", 25, allow_private=True) == "127.0.0.1"
