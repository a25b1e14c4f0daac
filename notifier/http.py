"""All outgoing HTTP of the notifier: one aiohttp session, timeouts, the SSRF guard.

Channel URLs are given by accounts, so a webhook must not become a way into the operator's
network: every connection goes through the guarded resolver, IP literals are checked before
the request, and redirects are not followed (a redirect could point anywhere; the account
must configure the final URL). Failures are classified once, here, for every channel.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from notifier.errors import DeliveryError
from shared.netguard import ForbiddenTarget, GuardedResolver, check_literal

USER_AGENT = "Vigil-Notifier/0.1"
MAX_NOTE = 300  # of a response body kept in the attempt record
RETRYABLE_4XX = (408, 425, 429)


class HttpClient:
    """POSTs for channels; opened lazily inside the running loop, closed by the service."""

    def __init__(self, allow_private: bool, timeout_s: float) -> None:
        self.allow_private = allow_private
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(self.allow_private), limit=100
            )
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self.timeout, headers={"User-Agent": USER_AGENT}
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(self, url: str, body: bytes, headers: dict[str, str] | None = None) -> str:
        """POST `body`; returns a note ("HTTP 200: ...") or raises a classified DeliveryError."""
        _check_url(url, self.allow_private)
        try:
            async with self._client().post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                text = (await response.content.read(4096)).decode("utf-8", "replace")
                status = response.status
        except ForbiddenTarget as exc:
            raise DeliveryError(str(exc), permanent=True) from None
        except (aiohttp.InvalidURL, ValueError) as exc:
            raise DeliveryError(f"bad URL: {exc}", permanent=True) from None
        except TimeoutError:
            raise DeliveryError("no answer in time") from None
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, ForbiddenTarget):
                raise DeliveryError(str(exc.os_error), permanent=True) from None
            raise DeliveryError(f"cannot connect: {exc}") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
        return _classify(status, text.strip()[:MAX_NOTE])

    async def post_json(self, url: str, payload: Any, headers: dict[str, str] | None = None) -> str:
        body = json.dumps(payload, separators=(",", ":")).encode()
        return await self.post(url, body, {"Content-Type": "application/json", **(headers or {})})


def _check_url(url: str, allow_private: bool) -> None:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        raise DeliveryError(f"bad URL: {exc}", permanent=True) from None
    if parts.scheme not in ("http", "https") or not host:
        raise DeliveryError("bad URL: use http:// or https:// with a host", permanent=True)
    try:
        check_literal(host, allow_private)
    except ForbiddenTarget as exc:
        raise DeliveryError(str(exc), permanent=True) from None


def _classify(status: int, text: str) -> str:
    note = f"HTTP {status}" + (f": {text}" if text else "")
    if 200 <= status < 300:
        return note
    if 300 <= status < 400:
        raise DeliveryError(
            f"{note} (redirects are not followed: configure the final URL)",
            permanent=True,
            detail=note,
        )
    raise DeliveryError(
        note, permanent=400 <= status < 500 and status not in RETRYABLE_4XX, detail=note
    )
