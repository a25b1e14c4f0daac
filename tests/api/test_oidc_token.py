"""The ID token checks (api.oidc.check_id_token) with tokens signed by a real RSA key, as a
provider signs them: each wrong claim refused with the check it failed."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from api.oidc import Refused, check_id_token
from shared.config import OidcProvider

pytestmark = pytest.mark.unit
PROVIDER = OidcProvider("corp", "Corp", "https://idp.example.com", "vigil", "s")
NONCE = "n" * 24
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
KEYS = KeySet([KEY])


def _token(key: Any = KEY, alg: str = "RS256", **claims: Any) -> str:
    base = {
        "iss": PROVIDER.issuer,
        "aud": "vigil",
        "sub": "alice",
        "nonce": NONCE,
        "exp": int(time.time()) + 300,
        "iat": int(time.time()),
    }
    base.update(claims)
    return jwt.encode(
        {"alg": alg, "kid": "k1"}, {k: v for k, v in base.items() if v is not None}, key
    )


def test_a_right_token_gives_its_claims() -> None:
    assert check_id_token(_token(), KEYS, PROVIDER, NONCE)["sub"] == "alice"
    assert check_id_token(_token(aud=["other", "vigil"]), KEYS, PROVIDER, NONCE)


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"iss": "https://evil.example.com"}, "issuer"),
        ({"iss": None}, "issuer"),
        ({"aud": "another-app"}, "audience"),
        ({"aud": ["another-app"]}, "audience"),
        ({"nonce": "x" * 24}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"exp": int(time.time()) - 3600}, "token"),
        ({"sub": None}, "token"),
    ],
)
def test_a_wrong_claim_is_refused_naming_it(claims: dict[str, Any], reason: str) -> None:
    with pytest.raises(Refused) as refused:
        check_id_token(_token(**claims), KEYS, PROVIDER, NONCE)
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    "token",
    [
        None,
        42,
        "",
        "garbage",
        "a.b.c",
        _token(key=RSAKey.generate_key(2048, parameters={"kid": "k1"})),  # another key
        _token()[:-4] + "AAAA",  # the signature tampered with
    ],
)
def test_a_malformed_or_forged_token_is_refused(token: Any) -> None:
    with pytest.raises(Refused) as refused:
        check_id_token(token, KEYS, PROVIDER, NONCE)
    assert refused.value.reason == "token"


def test_an_unsigned_token_is_refused() -> None:
    header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
    body = _token().split(".")[1]
    with pytest.raises(Refused):
        check_id_token(f"{header}.{body}.", KEYS, PROVIDER, NONCE)
