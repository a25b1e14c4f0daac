"""The ping URLs of heartbeat tests: `<VIGIL_PING_URL>/ping/<token>[/start|/fail|/log|/<0-255>]`.

GET, POST or HEAD; `?rid=` pairs a start with its end. The answer is `200 OK` in plain text
once the ping is durable (`api.ping_writer`), so `curl -fsS --retry 3 <ping_url>` in a
crontab is all a job needs. A POST body is kept up to `BODY_LIMIT` bytes (said in the
`Ping-Body-Limit` header; the rest is read and dropped, the ping still counts).

Answered before FastAPI (`api.app.CellApp`): its routing, middleware and response classes
would cost several times the ping itself. Errors: 405 another method, 400 an exit status over
255 or a bad rid, 429 past the per-token rate (each API process its own buckets), 404 an
unknown or malformed token, 307 to the cell that holds another cell's token, 503 while the
broker or the database is away (curl --retry tries again).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

from api.metrics import Metrics
from api.ping_writer import Answer, PingWriter, Taken
from api.ratelimit import RateLimiter
from shared.heartbeat import BODY_LIMIT, FAIL, LOG, START, SUCCESS
from shared.messages import Ping

PREFIX = "/ping/"
METHODS = ("GET", "POST", "HEAD")
ACTIONS = {"": SUCCESS, "start": START, "fail": FAIL, "log": LOG}
_RID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
MAX_AGENT = 256
ROUTE = "/ping/{token}"  # the metrics' label of every ping, one series for every token


class Refused(Exception):
    """A ping the endpoint answers with an error: status, plain text, extra headers."""

    def __init__(
        self, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        super().__init__(text)
        self.status, self.text, self.headers = status, text, headers


@dataclass(frozen=True)
class Asked:
    token: str
    kind: str
    exit_status: int | None
    rid: str | None


def parse(path: str, query: bytes) -> Asked:
    """The ping a path and query ask for; Refused (400/404) if they ask for none."""
    token, _, action = path[len(PREFIX) :].partition("/")
    exit_status = None
    if action.isascii() and action.isdigit():
        exit_status = int(action)
        if exit_status > 255:
            raise Refused(400, "exit status: must be 0-255")
        kind = SUCCESS
    elif action in ACTIONS:
        kind = ACTIONS[action]
    else:
        raise Refused(404, "not found")
    rids = parse_qs(query.decode("latin-1")).get("rid") if query else None
    if rids and not _RID.match(rids[0]):
        raise Refused(400, "rid: 1-64 of A-Z, a-z, 0-9, '.', '_', ':' and '-' (a UUID will do)")
    return Asked(token, kind, exit_status, rids[0] if rids else None)


class PingGate:
    """The ASGI app of every request under /ping/."""

    def __init__(self, writer: PingWriter, per_second: float, metrics: Metrics) -> None:
        self.writer = writer
        self.limits = RateLimiter(per_second * 60, burst=per_second)
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            answer = await self._take(scope, receive)
        except Refused as refused:
            status = refused.status
            await _respond(send, scope, status, refused.text, refused.headers)
        else:
            status = answer.status
            if status == 307:
                await _respond(
                    send, scope, 307, "elsewhere", [(b"location", answer.location.encode())]
                )
            else:
                await _respond(send, scope, status, _TEXTS[status])
        self.metrics.count(scope["method"], ROUTE, status)

    async def _take(self, scope: Scope, receive: Receive) -> Answer:
        at_ms = int(time.time() * 1000)
        method = scope["method"]
        if method not in METHODS:
            raise Refused(405, "method not allowed", [(b"allow", b"GET, POST, HEAD")])
        asked = parse(scope["path"], scope.get("query_string", b""))
        body = await _body(receive)
        if self.limits.capacity:
            wait = self.limits.take(asked.token)
            if wait > 0:
                raise Refused(
                    429, "too many pings", [(b"retry-after", str(math.ceil(wait)).encode())]
                )
        agent = next((v for k, v in scope["headers"] if k == b"user-agent"), b"")
        client = scope.get("client")
        ping = Ping(
            0,
            at_ms,
            asked.kind,
            asked.exit_status,
            asked.rid,
            method,
            client[0] if client else "",
            agent[:MAX_AGENT].decode("latin-1"),
            body,
        )
        query = scope.get("query_string", b"")
        path = scope["path"] + ("?" + query.decode("latin-1") if query else "")
        return await self.writer.take(Taken(asked.token, ping, path))


_TEXTS = {200: "OK", 404: "not found", 503: "unavailable, try again"}


async def _body(receive: Receive) -> bytes:
    """The body, of which BODY_LIMIT bytes are kept; the rest is read and dropped."""
    kept = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refused(400, "disconnected")
        chunk = message.get("body", b"")
        if len(kept) < BODY_LIMIT and chunk:
            kept += chunk[: BODY_LIMIT - len(kept)]
        if not message.get("more_body", False):
            return kept


async def _respond(
    send: Send,
    scope: Scope,
    status: int,
    text: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    if headers is None and status in _PLAIN:
        start, body = _PLAIN[status]  # made once: thousands of pings a second
    else:
        start, body = _messages(status, text, headers or [])
    await send(start)
    await send(_NO_BODY if scope["method"] == "HEAD" else body)


def _messages(
    status: int, text: str, headers: list[tuple[bytes, bytes]]
) -> tuple[dict[str, object], dict[str, object]]:
    body = text.encode()
    return (
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"ping-body-limit", str(BODY_LIMIT).encode()),
                (b"access-control-allow-origin", b"*"),
                *headers,
            ],
        },
        {"type": "http.response.body", "body": body},
    )


_PLAIN = {status: _messages(status, text, []) for status, text in _TEXTS.items()}
_NO_BODY = {"type": "http.response.body", "body": b""}
