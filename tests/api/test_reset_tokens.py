"""Password reset tokens and the sign-up policy: pure functions, no database."""

from __future__ import annotations

import pytest

from api import notify, security, signup_policy
from tests.api.helpers import settings

pytestmark = pytest.mark.unit
CONF = settings("postgresql://x/y", VIGIL_RESET_TTL="600")


def test_a_token_is_valid_for_its_hash_until_it_expires() -> None:
    token = security.reset_token(42, "hash-1", CONF, now=1_000_000)
    assert security.reset_login(token) == (42, 1_000_600)
    assert security.reset_valid(token, "hash-1", CONF, now=1_000_599)
    assert not security.reset_valid(token, "hash-1", CONF, now=1_000_601)  # expired
    assert not security.reset_valid(token, "hash-2", CONF, now=1_000_000)  # password changed
    other_key = settings("postgresql://x/y", VIGIL_SECRET_KEY="another-secret-entirely")
    assert not security.reset_valid(token, "hash-1", other_key, now=1_000_000)


def test_a_token_with_a_changed_id_or_expiry_is_refused() -> None:
    token = security.reset_token(42, "hash-1", CONF, now=1_000_000)
    _, expires, mac = token.split(".")
    assert not security.reset_valid(f"43.{expires}.{mac}", "hash-1", CONF, now=1_000_000)
    assert not security.reset_valid(f"42.9999999999.{mac}", "hash-1", CONF, now=1_000_000)


@pytest.mark.parametrize(
    "garbage", ["", "1.2", "a.b.c", "0.1.x", "-1.5.x", "1.2.3.4", "٣.1.x", "9" * 40 + ".1.x"]
)
def test_garbage_is_no_token(garbage: str) -> None:
    assert security.reset_login(garbage) is None
    assert not security.reset_valid(garbage, "hash", CONF)


def test_the_policy_modes() -> None:
    open_ = settings("postgresql://x/y")
    domains = settings(
        "postgresql://x/y", VIGIL_SIGNUP="domains", VIGIL_SIGNUP_DOMAINS="example.com"
    )
    invite = settings("postgresql://x/y", VIGIL_SIGNUP="invite")
    assert signup_policy.allows(open_, "a@anything.example")
    assert signup_policy.allows(domains, "a@example.com")
    assert not signup_policy.allows(domains, "a@sub.example.com")
    assert not signup_policy.allows(domains, "a@example.com.evil.example")
    assert not signup_policy.allows(invite, "a@example.com")


@pytest.mark.parametrize("language", ["en", "nl", "de", "fr", "es"])
@pytest.mark.parametrize("kind", ["invitation", "password_reset"])
def test_an_account_mail_is_a_delivery_the_notifier_reads_and_words(
    kind: str, language: str
) -> None:
    from datetime import UTC, datetime

    from notifier.channels.email import build
    from shared.delivery_message import decode_delivery

    body = notify.account_mail(
        kind,
        f"{kind}/7",
        "new@example.com",
        "boss@example.com",
        "https://vigil.example/x/token",
        language,
        datetime(2026, 12, 10, tzinfo=UTC),
    )
    d = decode_delivery(body)
    assert (d.channel_kind, d.config, d.sealed_config) == (
        "email",
        {"to": ["new@example.com"]},
        None,
    )
    mail = build(d.notification, "vigil@example.com", d.config["to"])
    text = mail.get_body(("plain",)).get_content()
    assert "https://vigil.example/x/token" in text and "2026" in text
    if language != "en":  # translated, not the English fallback
        assert "View details" not in text and "Follow the link" not in text
        assert "Someone asked" not in text
