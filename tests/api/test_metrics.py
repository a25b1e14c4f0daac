"""GET /metrics: Prometheus counts by method, route template and status; latency by route."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.api.helpers import client_for, create_monitor, new_user

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def requests(method: str, route: str, status: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    labels = {"method": method, "route": route, "status": status}
    return ("vigil_api_requests_total", tuple(sorted(labels.items())))


async def test_metrics_count_requests_by_route_template(database_url: str) -> None:
    # An app of its own: its registry starts at zero whatever other tests did.
    async with client_for(database_url) as api:
        user = await new_user(api)
        monitor = await create_monitor(api, user)
        for _ in range(3):
            await api.get("/api/v1/health")
        await api.get(f"/api/v1/monitors/{monitor['id']}", headers=user.headers)
        await api.get("/api/v1/monitors/999999999", headers=user.headers)
        await api.get("/no/such/path/1")
        await api.get("/no/such/path/2")
        response = await api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    assert found[requests("GET", "/api/v1/health", "200")] == 3
    assert (
        found.get(requests("POST", "/api/v1/auth/signup", "201"), 0)
        + found.get(requests("POST", "/api/v1/auth/signup", "202"), 0)
    ) == 1
    assert found[requests("GET", "/api/v1/monitors/{monitor_id}", "200")] == 1
    assert found[requests("GET", "/api/v1/monitors/{monitor_id}", "404")] == 1
    assert found[requests("GET", "unmatched", "404")] == 2
    count = ("vigil_api_request_duration_seconds_count", (("route", "/api/v1/health"),))
    assert found[count] == 3


async def test_each_app_has_its_own_registry(client: httpx.AsyncClient, database_url: str) -> None:
    async with client_for(database_url) as other:
        await other.get("/api/v1/health")
        found = samples((await other.get("/metrics")).text)
    assert found[requests("GET", "/api/v1/health", "200")] == 1


async def test_unknown_methods_share_one_label(client: httpx.AsyncClient) -> None:
    await client.request("BREW", "/api/v1/health")
    assert 'method="other"' in (await client.get("/metrics")).text
