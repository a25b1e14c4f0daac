"""Fixtures: a fake API on a real port, and a frontend app pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from frontend.app import create_app
from shared.config import Settings
from tests.frontend.fake_api import FakeApi
from tests.frontend.helpers import login

SECRET = "frontend-test-secret"


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi()
    api.start()
    yield api
    api.stop()


@pytest.fixture
def app(fake_api: FakeApi) -> Iterator[Flask]:
    settings = Settings.from_env({"VIGIL_API_URL": fake_api.url, "VIGIL_SECRET_KEY": SECRET})
    # A short timeout keeps the slow-API test quick; nothing else comes near it.
    app = create_app(settings, api_timeout_s=1.0)
    app.config["TESTING"] = True
    yield app
    app.extensions["vigil_api"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def logged_in(client: FlaskClient) -> FlaskClient:
    """A client holding a session with a token the fake API accepts."""
    response = login(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client
