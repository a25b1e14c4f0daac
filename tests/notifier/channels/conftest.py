"""A real local receiver for the HTTP channels, and the context they are sent with."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from aiohttp import web

from notifier.channels.base import Context
from notifier.hooks import HookRunner
from notifier.http import HttpClient
from notifier.message import Notification, RegionEvidence
from tests.targets import serve


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        import json

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


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", rec.handle)
    async with serve(app) as url:
        rec.url = url
        yield rec


def make_context(receiver_url: str = "http://127.0.0.1:9", allow_private: bool = True,
                 hooks: HookRunner | None = None, **kw) -> Context:
    return Context(http=HttpClient(allow_private, 5.0), hooks=hooks or HookRunner({}, 5.0),
                   allow_private=allow_private, timeout_s=5.0,
                   telegram_api_url=f"{receiver_url}/telegram",
                   pagerduty_events_url=f"{receiver_url}/pagerduty/v2/enqueue", **kw)


@pytest.fixture
async def ctx(receiver: Receiver) -> AsyncIterator[Context]:
    context = make_context(receiver.url)
    yield context
    await context.http.close()


def incident(kind: str = "opened", language: str = "en") -> Notification:
    return Notification(
        kind=kind, key=f"inc-42/{kind}", monitor="Checkout", target="https://shop.example/pay",
        regions=(RegionEvidence("eu-west", "down", "HTTP 503"),),
        started_at=datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
        resolved_at=datetime(2026, 3, 2, 12, 9, tzinfo=UTC) if kind == "resolved" else None,
        incident_id=42, url="https://vigil.example/incidents/42", language=language)
