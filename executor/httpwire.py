"""One HTTP/1.1 response read off a connection: llhttp (httptools) parses, this collects.

The parser frames the message (content-length, chunked, or until the server closes), skips
interim 1xx answers and knows which statuses carry no body; this protocol keeps the status,
the headers and the body, decoded (gzip, deflate) and cut at the check's limit, and resolves
one future. Limits are aiohttp's: 128 headers, 8190 bytes a line.
"""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass

import httptools

from executor.clock import Clock

MAX_HEADERS = 128
MAX_FIELD = 8190


class ProtocolError(Exception):
    """The peer answered, but not with an HTTP response we can read."""


@dataclass(slots=True)
class Response:
    """A response as far as a check needs it; header names lower case."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def charset(self) -> str | None:
        """The charset parameter of Content-Type, if any."""
        for param in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset":
                return value.strip().strip('"') or None
        return None


class Exchange(asyncio.Protocol):
    """Reads one response; `done` resolves to it (or to why there is none)."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, clock: Clock, limit: int, head: bool
    ) -> None:
        self.done: asyncio.Future[Response] = loop.create_future()
        self.transport: asyncio.BaseTransport | None = None
        self._clock = clock
        self._limit = limit
        self._head = head  # a HEAD answer has no body, whatever its headers say
        self._parser = httptools.HttpResponseParser(self)
        # What aiohttp tolerates of real servers, so a check fails for the same reasons.
        self._parser.set_dangerous_leniencies(
            lenient_headers=True,
            lenient_optional_cr_before_lf=True,
            lenient_spaces_after_chunk_size=True,
        )
        self._status = 0
        self._headers: dict[str, str] = {}
        self._count = 0
        self._chunks: list[bytes] = []
        self._got = 0
        self._decoder: _Decoder | None = None
        self._until_eof = False  # no length given: the body ends when the server closes

    # --- the transport's side -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.done.done():
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._finish()  # 101 Switching Protocols: the answer is the head
        except httptools.HttpParserCallbackError as exc:
            self._fail(exc.__context__ or ProtocolError(str(exc)))
        except httptools.HttpParserError as exc:
            self._fail(ProtocolError(f"not an HTTP response: {exc}"))

    def eof_received(self) -> bool:
        return False  # close our side too; connection_lost tells what it meant

    def connection_lost(self, exc: Exception | None) -> None:
        if self.done.done():
            return
        if self._status and self._until_eof:
            self._finish()
        elif exc is not None:
            self._fail(exc)
        else:
            where = "in the body" if self._status else "before the response head was complete"
            self._fail(ProtocolError(f"the server closed the connection {where}"))

    # --- the parser's side ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._headers = {}
        self._count = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count += 1
        if self._count > MAX_HEADERS or len(name) > MAX_FIELD or len(value) > MAX_FIELD:
            raise ProtocolError("the response head is too large")
        key = name.decode("latin1").lower()
        text = value.decode("utf-8", "surrogateescape")
        self._headers[key] = f"{self._headers[key]}, {text}" if key in self._headers else text

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            return  # an interim answer (100 Continue, 103 Early Hints): the real one follows
        self._status = status
        self._clock.enter("body", mark="ttfb_ms")
        if self._head:
            self._finish()
            return
        headers = self._headers
        framed = (
            "content-length" in headers or "chunked" in headers.get("transfer-encoding", "").lower()
        )
        self._until_eof = not framed
        coding = headers.get("content-encoding", "").strip().lower()
        if coding in ("gzip", "deflate"):
            self._decoder = _Decoder(coding)

    def on_body(self, data: bytes) -> None:
        if self.done.done():
            return
        room = self._limit - self._got
        if self._decoder is not None:
            data = self._decoder.decode(data, room)
        elif len(data) > room:
            data = data[:room]
        self._chunks.append(data)
        self._got += len(data)
        if self._got >= self._limit:
            self._finish()  # enough to judge: a check reads no further than its limit

    def on_message_complete(self) -> None:
        if self._status:
            self._finish()

    # --- the outcome ----------------------------------------------------------------------

    def _finish(self) -> None:
        if not self.done.done():
            self.done.set_result(Response(self._status, self._headers, b"".join(self._chunks)))

    def _fail(self, exc: BaseException) -> None:
        if not self.done.done():
            self.done.set_exception(exc)

    def settle(self) -> None:
        """The fetch is over: whatever comes after (a late close) is nobody's business."""
        if not self.done.done():
            self.done.cancel()
        elif not self.done.cancelled():
            self.done.exception()  # retrieved, so asyncio does not log it as lost


class _Decoder:
    """Decodes a gzip or deflate body as it arrives, never past the room left."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._inflate: zlib._Decompress | None = None

    def decode(self, data: bytes, room: int) -> bytes:
        if self._inflate is None:
            # Some servers send raw deflate without the zlib header, as aiohttp allows for.
            raw = self._coding == "deflate" and bool(data) and data[0] & 0x0F != 8
            bits = (
                16 + zlib.MAX_WBITS
                if self._coding == "gzip"
                else (-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
            )
            self._inflate = zlib.decompressobj(bits)
        try:
            return self._inflate.decompress(data, max(room, 1))[:room]
        except zlib.error as exc:
            raise ProtocolError(f"cannot decode the {self._coding} body: {exc}") from None
