"""Password hashing (argon2), access tokens (HS256 JWTs bound to this cell), and the
opaque secrets we hand out once and keep only as a SHA-256: refresh tokens, API keys,
invitations.

Plain, blocking functions: callers run the hashing ones in a worker thread.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import time

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.config import Settings

ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["sub", "cell", "iat", "exp"]
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):  # mismatch, or a corrupt stored hash
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("not a real password")


def spend_verify(password: str) -> None:
    """Verify against a throw-away hash, so an unknown email costs what a known one does."""
    verify_password(_dummy_hash(), password)


class TokenError(Exception):
    """The token is missing a claim, expired, badly signed or not of this cell."""


def signing_key(settings: Settings) -> bytes:
    """The HS256 key of this cell's tokens."""
    # Derived rather than used raw: VIGIL_SECRET_KEY may sign other things too, and HS256
    # wants a key of at least 32 bytes whatever the length of the configured secret.
    secret = settings.secret_key.encode()
    return hmac.new(secret, b"vigil api access token", hashlib.sha256).digest()


def issue_token(account_id: int, settings: Settings, now: float | None = None) -> str:
    issued = time.time() if now is None else now
    claims = {
        "sub": str(account_id),
        "cell": settings.cell,
        "iat": int(issued),
        # Milliseconds too: a password change revokes the tokens issued before it, even
        # within the same second.
        "iat_ms": int(issued * 1000),
        "exp": int(issued) + settings.token_ttl_s,
    }
    return jwt.encode(claims, signing_key(settings), algorithm=ALGORITHM)


def verify_token_claims(token: str, settings: Settings) -> tuple[int, float]:
    """(account id, issued at in epoch seconds) of a valid token of this cell.

    Raises TokenError.
    """
    try:
        claims = jwt.decode(
            token,
            signing_key(settings),
            algorithms=[ALGORITHM],
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("token expired") from None
    except jwt.InvalidTokenError:
        raise TokenError("invalid token") from None
    # A token of another cell names an account of another database: never valid here.
    if claims["cell"] != settings.cell:
        raise TokenError("token of another cell")
    subject = claims["sub"]
    if not (isinstance(subject, str) and subject.isascii() and subject.isdigit()):
        raise TokenError("invalid token")
    account_id = int(subject)
    if not 1 <= account_id < 2**63:
        raise TokenError("invalid token")
    issued_ms = claims.get("iat_ms")
    issued = issued_ms / 1000 if type(issued_ms) is int else float(claims["iat"])
    return account_id, issued


# What each opaque secret starts with, so a Bearer credential says what it is.
API_KEY_PREFIX = "vk_"
REFRESH_PREFIX = "vr_"
INVITE_PREFIX = "vi_"
SECRET_MAX_LENGTH = 100  # ours are 46 characters; anything much longer is not one of ours


def new_secret(prefix: str) -> tuple[str, bytes]:
    """A fresh random secret and the digest to store in its place."""
    secret = prefix + secrets.token_urlsafe(32)
    return secret, digest(secret)


def digest(secret: str) -> bytes:
    # A fast hash is right here: these secrets carry 256 random bits, nothing to brute-force.
    return hashlib.sha256(secret.encode("utf-8", "replace")).digest()


# Password reset links: signed, not stored. The signature covers the log-in's current
# password hash, so the link stops working once it has been used (the hash changes) and
# whenever the password changes otherwise; its expiry is signed too.
_RESET_PURPOSE = b"vigil password reset"


def reset_token(
    login_id: int, password_hash: str, settings: Settings, now: float | None = None
) -> str:
    expires = int(time.time() if now is None else now) + settings.reset_ttl_s
    payload = f"{login_id}.{expires}"
    return f"{payload}.{_reset_mac(payload, password_hash, settings)}"


def reset_login(token: str) -> tuple[int, int] | None:
    """(log-in id, expiry) a reset token names, unchecked; None when it is not one."""
    parts = token.split(".")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts[:2]):
        return None
    login_id, expires = int(parts[0]), int(parts[1])
    return (login_id, expires) if 1 <= login_id < 2**63 else None


def reset_valid(
    token: str, password_hash: str, settings: Settings, now: float | None = None
) -> bool:
    """The token was made for this password hash and has not expired."""
    named = reset_login(token)
    if named is None:
        return False
    if named[1] < (time.time() if now is None else now):
        return False
    payload, _, mac = token.rpartition(".")
    return hmac.compare_digest(mac, _reset_mac(payload, password_hash, settings))


def _reset_mac(payload: str, password_hash: str, settings: Settings) -> str:
    key = hmac.new(settings.secret_key.encode(), _RESET_PURPOSE, hashlib.sha256).digest()
    mac = hmac.new(key, f"{payload}.{password_hash}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


# Sign-up links (VIGIL_SIGNUP_CONFIRM): nothing is stored until the link is followed, so a
# sign-up leaves no trace an address could be told by. The link carries the address, the
# password hash chosen at sign-up, this cell and the expiry, sealed (AES-GCM under a key
# derived from VIGIL_SECRET_KEY): the hash is not readable from the mail, and nothing in it
# can be changed. It works once: following it makes the account, and an address that has
# one is refused.
SIGNUP_PREFIX = "vs_"
SIGNUP_TOKEN_MAX = 600
_SIGNUP_PURPOSE = b"vigil sign-up link"


def _signup_key(settings: Settings) -> bytes:
    return hmac.new(settings.secret_key.encode(), _SIGNUP_PURPOSE, hashlib.sha256).digest()


def signup_token(
    email: str, password_hash: str, settings: Settings, now: float | None = None
) -> str:
    expires = int(time.time() if now is None else now) + settings.reset_ttl_s
    claims = json.dumps(
        {"e": email, "h": password_hash, "c": settings.cell, "x": expires}, separators=(",", ":")
    ).encode()
    nonce = secrets.token_bytes(12)
    sealed = nonce + AESGCM(_signup_key(settings)).encrypt(nonce, claims, SIGNUP_PREFIX.encode())
    return SIGNUP_PREFIX + base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()


def signup_claims(
    token: str, settings: Settings, now: float | None = None
) -> tuple[str, str] | None:
    """(email, password hash) of a sign-up link of this cell that has not expired; None
    when it is not one (forged, changed, expired, of another cell)."""
    if not token.startswith(SIGNUP_PREFIX) or len(token) > SIGNUP_TOKEN_MAX:
        return None
    body = token[len(SIGNUP_PREFIX) :]
    try:
        sealed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        claims = json.loads(
            AESGCM(_signup_key(settings)).decrypt(sealed[:12], sealed[12:], SIGNUP_PREFIX.encode())
        )
    except (ValueError, InvalidTag):
        return None
    if not isinstance(claims, dict) or claims.get("c") != settings.cell:
        return None
    expires, email, password_hash = claims.get("x"), claims.get("e"), claims.get("h")
    if type(expires) is not int or expires < (time.time() if now is None else now):
        return None
    if not (isinstance(email, str) and isinstance(password_hash, str)):
        return None
    return email, password_hash
