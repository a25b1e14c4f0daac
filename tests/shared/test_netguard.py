import ipaddress

import pytest

from shared.netguard import ForbiddenTarget, embedded_ipv4, is_forbidden, resolve_checked
from tests.guard_table import ALLOWED, FORBIDDEN


@pytest.mark.unit
@pytest.mark.parametrize("address", list(FORBIDDEN))
def test_what_is_not_global_unicast_is_forbidden(address: str) -> None:
    assert is_forbidden(address), FORBIDDEN[address]


@pytest.mark.unit
@pytest.mark.parametrize("address", ALLOWED)
def test_global_unicast_is_allowed(address: str) -> None:
    assert not is_forbidden(address)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("address", "inner"),
    [
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("2002:7f00:1::1", "127.0.0.1"),
        ("64:ff9b::7f00:1", "127.0.0.1"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.1"),
        ("::7f00:1", "127.0.0.1"),
        ("2606:4700::1111", None),
        ("::1", None),
        ("::", None),
    ],
)
def test_embedded_ipv4_is_unwrapped(address: str, inner: str | None) -> None:
    found = embedded_ipv4(ipaddress.IPv6Address(address))
    assert (None if found is None else str(found)) == inner


@pytest.mark.unit
@pytest.mark.parametrize("garbage", ["example.com", "", "1.2.3", "::g", "300.1.1.1"])
def test_not_an_address_is_a_value_error(garbage: str) -> None:
    with pytest.raises(ValueError):
        is_forbidden(garbage)


@pytest.mark.integration
async def test_resolution_refuses_local_names_unless_allowed() -> None:
    with pytest.raises(ForbiddenTarget):
        await resolve_checked("localhost", 25, allow_private=False)
    with pytest.raises(ForbiddenTarget):
        await resolve_checked("127.0.0.1", 25, allow_private=False)
    assert await resolve_checked("127.0.0.1", 25, allow_private=True) == "127.0.0.1"
