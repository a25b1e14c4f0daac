"""A test's secrets, masked for readers and kept when the mask comes back (pure)."""

import pytest

from api.masking import MASK, MaskError, masked, unmasked

pytestmark = pytest.mark.unit

STORED = {
    "url": "https://app:p%40ss@[2001:db8::1]:8443/x",
    "basic_auth": {"username": "u", "password": "pw"},
    "headers": {"Authorization": "Bearer t", "X-Session-Id": "s", "Accept": "a"},
}


def test_every_secret_is_masked_and_nothing_else() -> None:
    out = masked(STORED)
    assert out == {
        "url": f"https://app:{MASK}@[2001:db8::1]:8443/x",
        "basic_auth": {"username": "u", "password": MASK},
        "headers": {"Authorization": MASK, "X-Session-Id": MASK, "Accept": "a"},
    }
    assert masked({"url": "https://example.com/"}) == {"url": "https://example.com/"}
    assert masked({"url": "redis://:pw@cache"})["url"] == f"redis://:{MASK}@cache"


def test_the_mask_sent_back_restores_the_secret_as_written() -> None:
    assert unmasked(masked(STORED), STORED) == STORED
    changed = {**masked(STORED), "headers": {"Authorization": "Bearer new", "Accept": "b"}}
    assert unmasked(changed, STORED)["headers"] == {"Authorization": "Bearer new", "Accept": "b"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"url": f"https://app:{MASK}@elsewhere.example/"}, "url"),
        ({"url": f"https://app:{MASK}@[2001:db8::1]:9443/x"}, "url"),  # another port
        ({"url": "https://elsewhere.example/"}, "basic_auth"),  # stored secrets left in place
        ({"url": "https://elsewhere.example/", "basic_auth": None}, "headers"),
        ({"headers": {"X-Token": MASK}}, "headers"),  # no such stored header
    ],
)
def test_a_mask_that_would_move_a_secret_is_refused(changes, field) -> None:
    with pytest.raises(MaskError) as caught:
        unmasked(changes, STORED)
    assert caught.value.field == field


def test_a_new_target_with_its_secrets_given_again_is_fine() -> None:
    changes = {
        "url": "https://elsewhere.example/",
        "basic_auth": {"username": "v", "password": "new"},
        "headers": {},
    }
    assert unmasked(changes, STORED) == changes
