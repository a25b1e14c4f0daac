"""Small helpers shared by the frontend tests."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.frontend.fake_api import DEMO_EMAIL, DEMO_PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The token a real browser would find in the page's form."""
    html = client.get(path).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no csrf_token field in {path}"
    return match.group(1)


def login(
    client: FlaskClient,
    email: str = DEMO_EMAIL,
    password: str = DEMO_PASSWORD,
    **kwargs: object,
) -> TestResponse:
    form = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/login", data=form, **kwargs)  # type: ignore[arg-type]


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)
