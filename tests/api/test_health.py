"""GET /api/v1/health, the OpenAPI document and the docs page."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import client_for

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)


async def test_health_reports_cell_and_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "cell": "a", "database": "ok"}


async def test_health_is_503_when_the_database_is_unreachable() -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    async with client_for("postgresql://postgres@127.0.0.1:1/nowhere", VIGIL_CELL="b") as api:
        response = await api.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "cell": "b", "database": "unavailable"}


async def test_openapi_lists_every_endpoint(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    # At least these; the isolation and property tests walk whatever else there is.
    assert set(paths) >= {
        "/api/v1/health",
        "/api/v1/auth/signup",
        "/api/v1/auth/login",
        "/api/v1/monitors",
        "/api/v1/monitors/{monitor_id}",
        "/api/v1/monitors/{monitor_id}/tests",
        "/api/v1/tests/{test_id}/results",
        "/api/v1/nodes",
        "/api/v1/auth/refresh",
        "/api/v1/auth/password",
        "/api/v1/api-keys",
        "/api/v1/members",
        "/api/v1/invitations",
    }
    # Protected endpoints say so, so the docs page offers to send a token.
    assert paths["/api/v1/monitors"]["get"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in paths["/api/v1/auth/login"]["post"]


async def test_docs_page_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "/api/v1/openapi.json" in response.text


async def test_unknown_path_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
