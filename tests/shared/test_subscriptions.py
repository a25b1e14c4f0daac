"""Subscription tokens: what they accept and every way they refuse."""

from __future__ import annotations

import pytest

from shared import subscriptions as subs

pytestmark = pytest.mark.unit
SECRET = "s" * 32


def test_a_token_round_trips_for_its_purpose_and_address() -> None:
    token = subs.make(SECRET, subs.CONFIRM, 42, now=1000)
    assert subs.verify(SECRET, subs.CONFIRM, token, now=1001) == subs.Token(
        42, 1000 + subs.CONFIRM_TTL_S
    )


@pytest.mark.parametrize(
    "purpose,secret",
    [
        (subs.UNSUBSCRIBE, SECRET),  # another purpose
        (subs.CONFIRM, "t" * 32),  # another key
    ],
)
def test_a_token_is_good_for_nothing_else(purpose: str, secret: str) -> None:
    token = subs.make(SECRET, subs.CONFIRM, 42, now=1000)
    with pytest.raises(subs.BadToken):
        subs.verify(secret, purpose, token, now=1001)


def test_a_tampered_token_is_refused() -> None:
    token = subs.make(SECRET, subs.UNSUBSCRIBE, 42)
    ident, expires, mac = token.split(".")
    for forged in (
        f"43.{expires}.{mac}",
        f"{ident}.9999999999.{mac}",
        f"{ident}.{expires}.{mac[:-1]}A",
        f"{ident}.{expires}.",
        "",
        "a.b.c",
        "1.2",
        "1.2.3.4",
        "x" * 500,
    ):
        with pytest.raises(subs.BadToken):
            subs.verify(SECRET, subs.UNSUBSCRIBE, forged)


def test_confirmation_expires_but_unsubscribe_never_does() -> None:
    confirm = subs.make(SECRET, subs.CONFIRM, 1, now=0)
    with pytest.raises(subs.BadToken, match="expired"):
        subs.verify(SECRET, subs.CONFIRM, confirm, now=subs.CONFIRM_TTL_S + 1)
    leave = subs.make(SECRET, subs.UNSUBSCRIBE, 1, now=0)
    assert subs.verify(SECRET, subs.UNSUBSCRIBE, leave, now=10**10).expires == 0


def test_links_quote_the_token() -> None:
    assert (
        subs.link("https://status.example", "shop", subs.CONFIRM, "1.2.a-b_c")
        == "https://status.example/s/shop/subscription/confirm?token=1.2.a-b_c"
    )
