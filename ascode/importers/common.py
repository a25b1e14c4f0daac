"""What every importer builds: sections of the apply file, keys, secrets, notes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from ascode.loader import FileError
from shared.ascode_format import MAX_FILE_BYTES

_REGISTERED = frozenset(int(s) for s in HTTPStatus)
_NOT_KEY = re.compile(r"[^a-z0-9_.-]+")


@dataclass
class Result:
    inline_secrets: bool = False
    monitors: list[dict[str, Any]] = field(default_factory=list)
    channels: list[dict[str, Any]] = field(default_factory=list)
    status_pages: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    _keys: set[str] = field(default_factory=set)

    def key(self, name: Any, fallback: str) -> str:
        """A key of the file from a name, unique in this import."""
        base = _NOT_KEY.sub("-", str(name or "").lower()).strip("-._")[:80] or fallback
        key, n = base, 2
        while key in self._keys:
            key, n = f"{base}-{n}", n + 1
        self._keys.add(key)
        return key

    def secret(self, value: str, env: str) -> Any:
        """The secret in clear when asked for, else a reference to set before apply."""
        if self.inline_secrets:
            return value
        ref = reference(env)
        self.skipped.append(
            f"a secret, written as {{env: {ref['env']}}}: set {ref['env']} "
            "to the value in the source before apply"
        )
        return ref

    def document(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": 1}
        for section in ("monitors", "channels", "status_pages"):
            if getattr(self, section):
                out[section] = getattr(self, section)
        return out


def reference(env: str) -> dict[str, str]:
    """`{env: VIGIL_SECRET_...}`: where apply reads a secret the file does not hold."""
    return {"env": "VIGIL_SECRET_" + re.sub(r"[^A-Z0-9]+", "_", env.upper()).strip("_")}


def read_text(path: Any) -> str:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FileError(f"{path}: {size} bytes, over the limit of {MAX_FILE_BYTES}")
    return str(path.read_text(encoding="utf-8"))


def status_codes(spans: list[str], note: list[str]) -> list[int]:
    """ "200-299" and "301" to a list of codes, at most 20 (what a test takes)."""
    codes: list[int] = []
    for span in spans:
        low, _, high = str(span).partition("-")
        try:
            codes += range(int(low), int(high or low) + 1)
        except ValueError:
            note.append(f"status code {span!r} is not a number or a range")
    codes = sorted({c for c in codes if 100 <= c <= 599})
    if len(codes) > 20:  # a wide range ("200-299"): the codes a server really answers
        codes = [c for c in codes if c in _REGISTERED]
    if len(codes) > 20:
        note.append(
            f"accepted {', '.join(map(str, spans))}: kept {codes[0]}-{codes[19]} "
            "(a test takes at most 20 codes)"
        )
        codes = codes[:20]
    return codes or [200]
