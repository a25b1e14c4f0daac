"""Secrets at rest (SMTP passwords, webhook URLs, tokens): Fernet, keyed by VIGIL_SECRET_KEY.

The Fernet key is derived from the deployment's secret with HKDF, under a label of its own, so
the key that signs API tokens is never used as is to encrypt, and a token signed with it can
never be mistaken for a ciphertext. Fernet authenticates what it encrypts: a tampered or
foreign ciphertext is refused, never decrypted to garbage.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"vigil secrets at rest v1"


class SecretError(ValueError):
    """A ciphertext that this deployment's key cannot open (tampered, foreign or garbage)."""


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(raw))


def encrypt(secret_key: str, plaintext: str) -> str:
    """An opaque, authenticated ASCII token holding `plaintext`."""
    return _fernet(secret_key).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(secret_key: str, token: str) -> str:
    try:
        return _fernet(secret_key).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError, TypeError, AttributeError):
        raise SecretError("not a secret sealed with this deployment's key") from None


def encrypt_json(secret_key: str, value: Any) -> str:
    """Seal a JSON-able value (a channel's whole configuration, say)."""
    return encrypt(secret_key, json.dumps(value, separators=(",", ":")))


def decrypt_json(secret_key: str, token: str) -> Any:
    try:
        return json.loads(decrypt(secret_key, token))
    except json.JSONDecodeError:
        raise SecretError("the sealed value is not JSON") from None
