"""The 422 answer to invalid input: FastAPI's usual `detail` list, made safe to send.

FastAPI echoes each bad value as `input`. Echoed raw, a lone surrogate or a NaN (both
accepted by Python's JSON parser) makes the error itself unencodable, a 500 for bad input;
so does a body that is not UTF-8 (FastAPI decodes the bytes strictly). And a password
would be sent back in clear, a megabyte-long name in full.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

MAX_ECHO = 256  # characters of a bad string value sent back
# Never echoed: passwords, tokens, keys, and the secret parts of notification channels.
SECRET_FIELDS = frozenset(
    {
        "password",
        "current_password",
        "new_password",
        "refresh_token",
        "token",
        "secret",
        "routing_key",
        "url",  # a chat webhook's URL is its credential
        "headers",
        "basic_auth",  # a test's credentials (api.masking)
    }
)


class AsciiJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        # \u escapes keep lone surrogates encodable; the output is still valid JSON.
        return json.dumps(content, ensure_ascii=True, allow_nan=False).encode("ascii")


def _echo(value: Any) -> Any:
    if isinstance(value, bytes):  # a body that is not JSON, maybe not even UTF-8
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value if len(value) <= MAX_ECHO else value[:MAX_ECHO] + "…"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {_echo(key): _echo(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_echo(item) for item in value]
    return value


def _safe(error: dict[str, Any]) -> dict[str, Any]:
    error = dict(error)
    value = error.get("input")
    if any(part in SECRET_FIELDS for part in error.get("loc", ())) or (
        isinstance(value, dict) and SECRET_FIELDS & set(value)
    ):
        error.pop("input", None)
    elif "input" in error:
        error["input"] = _echo(error["input"])
    if "ctx" in error:  # a validator's ValueError would be encoded as {}: send its message
        error["ctx"] = {
            key: str(value) if isinstance(value, Exception) else value
            for key, value in error["ctx"].items()
        }
    return error


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = jsonable_encoder([_safe(error) for error in exc.errors()])
    return AsciiJSONResponse({"detail": detail}, status_code=422)
