"""The operator's system page: cells, queues, ingest (GET /system) and the fleet (GET /nodes).

Shapes and error paths against the fake API; tests/e2e/test_browser_system_and_domains.py
shows the page on the real endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.frontend.fake_api import FakeApi
from tests.frontend.helpers import login, text

NODES: dict[str, Any] = {
    "items": [
        {
            "region": "eu",
            "node": "eu-1",
            "version": "0.1.0",
            "live": True,
            "last_heartbeat": "2026-01-02T08:00:00+00:00",
            "first_seen": "2026-01-01T00:00:00Z",
            "load": 0.75,
            "tests_held": 1234,
            "backlog": 0,
            "clock_offset_ms": 3,
        },
        {
            "region": "us",
            "node": "us-1",
            "version": "0.1.0",
            "live": False,
            "last_heartbeat": "garbage",
            "first_seen": "2026-01-01T00:00:00Z",
            "load": 0.0,
            "tests_held": 0,
            "backlog": 0,
            "clock_offset_ms": None,
        },
    ],
    "regions": [
        {
            "region": "eu",
            "nodes": 1,
            "live_nodes": 1,
            "last_heartbeat": "2026-01-02T08:00:00+00:00",
            "alert": None,
        },
        {
            "region": "us",
            "nodes": 1,
            "live_nodes": 0,
            "last_heartbeat": "2026-01-02T08:00:00+00:00",
            "alert": "no live node",
        },
    ],
    "next": None,
}
SYSTEM: dict[str, Any] = {
    "cell": {"name": "a", "accounts": 1500, "capacity": 2000, "closed": False},
    "cells": [
        {
            "name": "a",
            "api_url": "http://127.0.0.1:8100",
            "accounts": 1500,
            "capacity": 2000,
            "closed": False,
        },
        {
            "name": "b",
            "api_url": "http://127.0.0.1:8101",
            "accounts": 2000,
            "capacity": 2000,
            "closed": True,
        },
    ],
    "queues": [{"name": "vigil.results", "messages": 12345, "consumers": 2, "rate_in": 2987.5}],
    "ingest": {
        "results_per_second": 3012.25,
        "window_seconds": 60,
        "last_result_at": "2026-01-02T08:00:00+00:00",
        "processors": 2,
    },
    "tests": {"enabled": 180000, "total": 181234},
}


@pytest.fixture
def operator(client: FlaskClient, fake_api: FakeApi) -> FlaskClient:
    fake_api.nodes, fake_api.system, fake_api.is_admin = NODES, SYSTEM, True
    assert login(client).status_code == 302
    return client


def test_needs_a_log_in(client: FlaskClient) -> None:
    assert client.get("/system").headers["Location"] == "/login"


def test_not_an_operator_is_refused_and_sees_no_link(logged_in: FlaskClient) -> None:
    response = logged_in.get("/system?lang=es")
    assert response.status_code == 403 and "operadores" in text(response)
    assert 'href="/system"' not in text(logged_in.get("/dashboard"))


def test_an_operator_sees_the_link(operator: FlaskClient, fake_api: FakeApi) -> None:
    assert 'href="/system"' in text(operator.get("/dashboard"))
    # Told by /auth/me once at log-in, not guessed from a probe of the fleet.
    assert len(fake_api.requests_to("/api/v1/auth/me")) == 1
    assert not fake_api.requests_to("/api/v1/nodes")


@pytest.mark.parametrize(
    ("is_admin", "status"),
    [(False, 200), (None, 200), ("true", 200), (1, 200), (True, 500), (True, 401)],
)
def test_only_a_plain_yes_from_auth_me_shows_the_link(
    client: FlaskClient, fake_api: FakeApi, is_admin: Any, status: int
) -> None:
    """No flag (an older API), a flag that is not true, or an API that fails: no link, and
    the log-in still works."""
    fake_api.nodes, fake_api.system = NODES, SYSTEM  # the fleet is there, yet not asked
    fake_api.is_admin, fake_api.me_status = is_admin, status
    assert login(client).status_code == 302
    assert 'href="/system"' not in text(client.get("/dashboard"))
    assert not fake_api.requests_to("/api/v1/nodes")


def test_cells_queues_ingest_and_fleet(operator: FlaskClient) -> None:
    html = text(operator.get("/system?lang=de"))
    assert "1.500 / 2.000" in html and "75%" in html  # accounts, load
    assert "http://127.0.0.1:8101" in html and "Geschlossen" in html
    assert "vigil.results" in html and "12.345" in html and "2.987,5" in html
    assert "3.012,25 pro Sekunde" in html and "180.000 / 181.234" in html
    assert "eu-1" in html and "1.234" in html and "0,75" in html
    assert "Kein aktiver Knoten" in html


def test_queue_error_is_shown(operator: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.system = {**SYSTEM, "queues": [], "queues_error": "management API refused <us>"}
    html = text(operator.get("/system"))
    assert "Queue depths are not available: management API refused &lt;us&gt;" in html


def test_cells_error_and_no_directory(operator: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.system = {**SYSTEM, "cells": [], "cells_error": "the directory is away"}
    html = text(operator.get("/system"))
    assert "The cells are not available: the directory is away" in html
    fake_api.system = {**SYSTEM, "cell": {**SYSTEM["cell"], "capacity": None}, "cells": []}
    html = text(operator.get("/system"))
    assert "there is no directory of cells" in html and "1,500 / —" in html


def test_an_api_without_system_still_shows_the_fleet(
    operator: FlaskClient, fake_api: FakeApi
) -> None:
    fake_api.system = None
    html = text(operator.get("/system"))
    assert "not available from this monitoring service yet" in html and "eu-1" in html


@pytest.mark.parametrize(
    "garbage",
    [
        {},
        {"cell": "x", "cells": "x", "queues": [1, None], "ingest": [], "tests": 5},
        {
            "cell": {"accounts": "many", "capacity": 0},
            "cells": [{"accounts": True, "capacity": 1}],
            "queues": [{"name": "q", "messages": "lots"}],
            "queues_error": 7,
            "ingest": {"last_result_at": "yesterday", "results_per_second": None},
        },
    ],
)
def test_garbage_from_system_is_left_out_not_a_crash(
    operator: FlaskClient, fake_api: FakeApi, garbage: dict
) -> None:
    fake_api.system = garbage
    response = operator.get("/system")
    assert response.status_code == 200 and "eu-1" in text(response)


def test_api_failure_is_a_502(operator: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.answer_everything_with(500, "boom")
    assert operator.get("/system").status_code == 502
