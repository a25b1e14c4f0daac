"""Generated and malformed input at every endpoint of the OpenAPI document: never a 5xx.

Schemathesis generates requests from the document, valid ones and invalid ones (wrong
types, missing fields, out-of-range values, odd strings), and sends them to a real
`vigil api` process on the session's database, authenticated as a real user. The number
of examples per operation is kept small so the whole walk stays well under a minute.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from api.app import create_app
from tests.api.helpers import PASSWORD, SECRET, settings, unique_email
from tests.helpers import wait_sync
from tests.targets import free_port

EXAMPLES = 5  # per operation and mode; ~20 s for the whole walk on an idle machine


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def live_api(database_url: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A real API process, and the headers of a logged-in user of it."""
    port = free_port()
    env = {**os.environ, "VIGIL_DATABASE_URL": database_url, "VIGIL_API_PORT": str(port),
           "VIGIL_SECRET_KEY": SECRET, "VIGIL_AUTH_RATE_PER_IP": "0",
           "VIGIL_AUTH_RATE_PER_EMAIL": "0", "VIGIL_LOG_LEVEL": "WARNING",
           "VIGIL_DIRECTORY_URL": ""}
    proc = subprocess.Popen([sys.executable, "-m", "ops.cli", "api"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_sync(lambda: _healthy(url), "the API to be healthy", timeout=30)
        email = unique_email()
        httpx.post(f"{url}/api/v1/auth/signup", json={"email": email, "password": PASSWORD})
        token = httpx.post(f"{url}/api/v1/auth/login",
                           json={"email": email, "password": PASSWORD}).json()["access_token"]
        yield url, {"Authorization": f"Bearer {token}"}
    finally:
        proc.terminate()
        _, errors = proc.communicate(timeout=20)
    # Whatever happened, the API must not have logged an unhandled exception.
    assert b"Traceback" not in errors, errors.decode(errors="replace")[-3000:]


# The document the API serves, built without a server (nor a database).
schema = schemathesis.openapi.from_dict(create_app(settings("postgresql://unused/x")).openapi())


@schema.parametrize()
@hypothesis_settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_input_makes_a_server_error(case, live_api: tuple[str, dict[str, str]]) -> None:
    url, headers = live_api
    response = case.call(base_url=url, headers=headers, timeout=30)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text)
