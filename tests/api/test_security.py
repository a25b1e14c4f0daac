"""Password hashes and tokens (unit tests, no database)."""

from __future__ import annotations

import time

import pytest

from api import security
from tests.api.helpers import settings

SETTINGS = settings("postgresql://unused/x")


def test_a_password_verifies_against_its_own_hash_only() -> None:
    hashed = security.hash_password("correct horse")
    assert security.verify_password(hashed, "correct horse")
    assert not security.verify_password(hashed, "correct horsE")
    assert not security.verify_password("not a hash", "correct horse")
    assert not security.needs_rehash(hashed)


def test_a_token_names_its_account() -> None:
    assert security.verify_token_claims(security.issue_token(42, SETTINGS), SETTINGS)[0] == 42


def test_a_token_lasts_the_configured_time() -> None:
    short = settings("postgresql://unused/x", VIGIL_TOKEN_TTL="60")
    issued = int(time.time()) - 61
    with pytest.raises(security.TokenError, match="expired"):
        security.verify_token_claims(security.issue_token(42, short, now=issued), short)[0]
    later = security.issue_token(42, short, now=issued + 10)
    assert security.verify_token_claims(later, short)[0] == 42


def test_a_token_is_bound_to_its_cell_and_secret() -> None:
    token = security.issue_token(42, SETTINGS)
    other_cell = settings("postgresql://unused/x", VIGIL_CELL="b")
    other_secret = settings("postgresql://unused/x", VIGIL_SECRET_KEY="x" * 40)
    with pytest.raises(security.TokenError, match="another cell"):
        security.verify_token_claims(token, other_cell)[0]
    with pytest.raises(security.TokenError, match="invalid"):
        security.verify_token_claims(token, other_secret)[0]


def test_a_short_secret_still_signs_without_warnings() -> None:
    # The development default is shorter than HS256 wants; the derived key is not.
    short = settings("postgresql://unused/x", VIGIL_SECRET_KEY="dev")
    assert security.verify_token_claims(security.issue_token(7, short), short)[0] == 7
