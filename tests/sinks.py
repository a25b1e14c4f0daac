"""Receivers of notifications that the tests start: an HTTP endpoint that records every POST,
and an SMTP sink (aiosmtpd), both on loopback."""

from __future__ import annotations

import email
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from email.message import Message
from email.policy import default as default_policy

from aiohttp import web
from aiosmtpd.controller import Controller

from tests.targets import free_port, serve


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every POST; answers with the statuses scripted for its path, then 200."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    script: dict[str, list[int]] = field(default_factory=dict)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(Received(request.path, dict(request.headers), await request.read()))
        statuses = self.script.get(request.path) or [200]
        status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
        if 300 <= status < 400:
            return web.Response(status=status, headers={"Location": "http://10.0.0.1/"})
        return web.Response(status=status, text="ok" if status < 300 else "nope")


class Sink:
    """Keeps every message it accepts; refuses recipients at refused.example."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.endswith("@refused.example"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted"


@asynccontextmanager
async def http_receiver() -> AsyncIterator[Receiver]:
    """A Receiver served on loopback, its `url` set."""
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", rec.handle)
    async with serve(app) as url:
        rec.url = url
        yield rec


@contextmanager
def smtp_sink(**options: object) -> Iterator[tuple[Sink, int]]:
    """A Sink behind a plain SMTP server on loopback (`options` go to aiosmtpd's
    Controller: TLS, authentication); yields it and its port."""
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()
