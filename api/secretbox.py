"""Encryption at rest of channel secrets (SMTP passwords, webhook URLs, bot tokens).

A thin holder of the deployment's key around `shared.secrets`, which the notifier uses to
open the same values: one scheme (Fernet, key derived from VIGIL_SECRET_KEY by HKDF) for
the whole deployment. Every cell shares VIGIL_SECRET_KEY, so a moved account keeps its
secrets.
"""

from __future__ import annotations

from typing import Any

from shared import secrets


class SecretBoxError(Exception):
    """A sealed value that this key cannot open (another key, or corrupt)."""


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        self._key = secret_key

    def seal(self, values: dict[str, Any]) -> str:
        return secrets.encrypt_json(self._key, values)

    def open(self, sealed: str) -> dict[str, Any]:
        try:
            opened = secrets.decrypt_json(self._key, sealed)
        except secrets.SecretError:
            raise SecretBoxError("cannot decrypt: another VIGIL_SECRET_KEY, or corrupt") from None
        if not isinstance(opened, dict):
            raise SecretBoxError("the sealed value is not a set of secrets")
        return opened
