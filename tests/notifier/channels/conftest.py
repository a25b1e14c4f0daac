"""A real local receiver for the HTTP channels, and the context they are sent with."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from notifier.channels.base import Context
from notifier.hooks import HookRunner
from notifier.http import HttpClient
from notifier.message import Notification, RegionEvidence
from tests.sinks import Receiver


def make_context(
    receiver_url: str = "http://127.0.0.1:9",
    allow_private: bool = True,
    hooks: HookRunner | None = None,
    **kw,
) -> Context:
    return Context(
        http=HttpClient(allow_private, 5.0),
        hooks=hooks or HookRunner({}, 5.0),
        allow_private=allow_private,
        timeout_s=5.0,
        telegram_api_url=f"{receiver_url}/telegram",
        pagerduty_events_url=f"{receiver_url}/pagerduty/v2/enqueue",
        **kw,
    )


@pytest.fixture
async def ctx(receiver: Receiver) -> AsyncIterator[Context]:
    context = make_context(receiver.url)
    yield context
    await context.http.close()


def incident(kind: str = "opened", language: str = "en") -> Notification:
    return Notification(
        kind=kind,
        key=f"inc-42/{kind}",
        monitor="Checkout",
        target="https://shop.example/pay",
        regions=(RegionEvidence("eu-west", "down", "HTTP 503"),),
        started_at=datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
        resolved_at=datetime(2026, 3, 2, 12, 9, tzinfo=UTC) if kind == "resolved" else None,
        incident_id=42,
        url="https://vigil.example/incidents/42",
        language=language,
    )
