"""Encryption at rest of channel secrets (SMTP passwords, webhook URLs, bot tokens).

Fernet (AES-128-CBC with an HMAC-SHA256) with a key derived from VIGIL_SECRET_KEY by
HKDF, so the same configured secret never serves two purposes as is. Every cell of a
deployment shares VIGIL_SECRET_KEY, so an account moved between cells keeps its secrets.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretBoxError(Exception):
    """A sealed value that this key cannot open (another key, or corrupt)."""


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                    info=b"vigil notification channel secrets")
        self._fernet = Fernet(base64.urlsafe_b64encode(hkdf.derive(secret_key.encode())))

    def seal(self, values: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(values).encode()).decode("ascii")

    def open(self, sealed: str) -> dict[str, Any]:
        try:
            return json.loads(self._fernet.decrypt(sealed.encode("ascii")))
        except (InvalidToken, ValueError):
            raise SecretBoxError("cannot decrypt: another VIGIL_SECRET_KEY, or corrupt") from None
