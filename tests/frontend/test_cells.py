"""The frontend finds the user's cell through the directory (POST /auth/locate on the API
it is configured with) and then talks to that cell's API only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from frontend.api_client import ApiClient, BadResponse
from tests.frontend.fake_api import DEMO_EMAIL, FakeApi, monitor
from tests.frontend.helpers import login, text


@pytest.fixture
def cell_b() -> Iterator[FakeApi]:
    api = FakeApi()
    api.start()
    yield api
    api.stop()


def test_login_and_dashboard_go_to_the_users_cell(
    client: FlaskClient, fake_api: FakeApi, cell_b: FakeApi
) -> None:
    fake_api.cells[DEMO_EMAIL] = cell_b.url
    cell_b.monitors = [monitor("Lives in cell b")]
    assert login(client).status_code == 302
    assert fake_api.requests_to("/api/v1/auth/locate")
    assert fake_api.requests_to("/api/v1/auth/login") == []
    assert cell_b.requests_to("/api/v1/auth/login")
    assert "Lives in cell b" in text(client.get("/dashboard"))
    assert fake_api.requests_to("/api/v1/monitors") == []


def test_an_api_without_a_directory_is_used_as_is(client: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.monitors = [monitor("Single cell")]
    assert login(client).status_code == 302
    assert "Single cell" in text(client.get("/dashboard"))


@pytest.mark.parametrize("body", ['{"api_url": "ftp://x"}', '{"api_url": 5}', "{}", "[]"])
def test_a_bad_locate_answer_is_a_bad_response(fake_api: FakeApi, body: str) -> None:
    fake_api.answer_everything_with(200, body)
    client = ApiClient(fake_api.url, timeout_s=1.0)
    try:
        with pytest.raises(BadResponse):
            client.locate(DEMO_EMAIL)
    finally:
        client.close()
