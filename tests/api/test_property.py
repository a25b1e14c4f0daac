"""Generated and malformed input at every endpoint of the OpenAPI document: never a 5xx,
and every answer as the document says (`--checks all`).

Schemathesis generates requests from the document, valid ones and invalid ones (wrong
types, missing fields, out-of-range values, odd strings), and sends them to a real
`vigil api` process on the session's database, authenticated as a real user. Every check
runs: no server error, only documented statuses, bodies matching their schemas, schema-valid
input accepted and invalid input refused, auth not ignored, a true Allow header, and the
rest. The number of examples per operation is kept small so the walk stays near a minute.
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
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    unsupported_method,
)

from api.app import create_app
from tests.api.helpers import PASSWORD, SECRET, settings, unique_email
from tests.helpers import wait_sync
from tests.targets import free_port

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)

EXAMPLES = 5  # per operation and mode; ~20 s for the whole walk on an idle machine

# Schema-valid requests the API still refuses, for rules a schema cannot state. Each entry
# lifts that one check from that one operation; everything else there is still checked.
REFUSES_VALID: dict[str, str] = {
    # The test body: a heartbeat's `tz` must be an IANA zone name and its `cron` parse; a
    # check's URL scheme must follow its kind; an interval of 44.0 is an integer to JSON
    # Schema, not to the API.
    "POST /api/v1/monitors": "tz/cron parse; URL scheme per kind; strict integers",
    "POST /api/v1/monitors/{monitor_id}/tests": "tz/cron parse; URL scheme per kind; strict "
    "integers",
    "PATCH /api/v1/monitors/{monitor_id}/tests/{test_id}": "tz/cron parse; URL scheme per "
    "kind; strict integers",
    "PATCH /api/v1/auth/me": "language or time_zone: at least one of them",
    # The monitor list's cursor is one it gave out (its sort key packed with the id); a
    # monitor's tags must differ from each other.
    "GET /api/v1/monitors": "a cursor the API gave out",
    "PATCH /api/v1/monitors/{monitor_id}": "tags must differ",
    "POST /api/v1/monitors/bulk": "every id one of the caller's monitors",
    # Status page subscribers: a token must be one the cell signed; monitors must be on the
    # page; a webhook subscriber's URL http(s); an announcement ends after it starts.
    "POST /api/v1/public/status-pages/{slug}/subscribers": "monitors on the page; email domains",
    "POST /api/v1/public/subscriptions/confirm": "a token the cell signed",
    "POST /api/v1/public/subscriptions/unsubscribe": "a token the cell signed",
    "POST /api/v1/status-pages/{page_id}/subscribers": "webhook URL scheme; monitors on the page",
    "POST /api/v1/status-pages/{page_id}/announcements": "ends_at must be after starts_at",
    # A manual incident names monitors the page shows, each once; resolved is its end.
    "POST /api/v1/status-pages/{page_id}/manual-incidents": "monitors on the page, each once",
    "POST /api/v1/auth/password-reset": "special-use email domains",
    # Rules across fields or on the deployment, which JSON Schema cannot say.
    "POST /api/v1/maintenance-windows": "ends_at must be after starts_at; the RRULE subset "
    "and IANA zones parse; recurrence with timezone",
    "PATCH /api/v1/maintenance-windows/{window_id}": "ends_at must be after starts_at",
    "POST /api/v1/status-pages": "custom_domain needs VIGIL_DIRECTORY_URL",
    # email-validator refuses special-use domains (.test, .invalid ...) that `format: email`
    # allows.
    "POST /api/v1/auth/signup": "special-use email domains",
    "POST /api/v1/auth/login": "special-use email domains",
    "POST /api/v1/auth/locate": "special-use email domains",
    "POST /api/v1/invitations": "special-use email domains",
    "POST /api/v1/public/status-pages/{slug}/sign-in": "special-use email domains",
    # A channel's config is one object for every kind: its required fields per kind are
    # not in the document yet.
    "POST /api/v1/notification-channels": "config fields per channel kind",
    "POST /api/v1/notification-channels/validate": "config fields per channel kind",
    "POST /api/v1/monitors/validate": "tz/cron parse; URL scheme per kind; strict integers",
    # A page's logo must be an http(s) URL (api.targets.check_url, not a pattern yet), its
    # positions strict integers (235.0 is an integer to JSON Schema); a link's group must
    # be one of the page's groups.
    "PATCH /api/v1/status-pages/{page_id}": "logo_url scheme; strict integer positions",
    "PATCH /api/v1/status-pages/{page_id}/monitors/{monitor_id}": "group of the page",
    # An id of 2**63 + 191 is a float 2**63 to a JSON Schema validator, so "at most
    # 2**63 - 1"; the API counts exactly and refuses it.
    "POST /api/v1/status-pages/{page_id}/monitors": "ids beyond a double's precision",
    "POST /api/v1/notification-channels/{channel_id}/monitors": "ids beyond a double's precision",
    "PUT /api/v1/managed/{kind}/{key}": "ids beyond a double's precision",
}

# Schema-violating requests the API still accepts: the document's heartbeat member is stricter
# than the API (it lists fewer common fields than the API ignores for a heartbeat).
ACCEPTS_INVALID: dict[str, str] = {
    "POST /api/v1/monitors": "heartbeat member of the test union stricter than the API",
    # A dry run of the create: it answers as the create does, with the cell's own rules
    # (targets, intervals, operator-only kinds) beyond the document's.
    "POST /api/v1/monitors/validate": "the create's rules, as POST /api/v1/monitors",
    "POST /api/v1/notification-channels/validate": "the create's rules, beyond the schema",
}
# Paths whose other methods answer 422, not 405 (and whose Allow lists them): /monitors/bulk
# also matches /monitors/{monitor_id}, whose PATCH and DELETE then refuse "bulk" as an id; so
# do the two /validate paths.
SHARES_A_PATH = {
    "POST /api/v1/monitors/bulk": "/monitors/{monitor_id} takes the other methods",
    "POST /api/v1/monitors/validate": "/monitors/{monitor_id} takes the other methods",
    "POST /api/v1/notification-channels/validate": (
        "/notification-channels/{channel_id} takes the other methods"
    ),
}


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def live_api(database_url: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A real API process, and the headers of a logged-in user of it."""
    port = free_port()
    env = {
        **os.environ,
        "VIGIL_DATABASE_URL": database_url,
        "VIGIL_API_PORT": str(port),
        "VIGIL_SECRET_KEY": SECRET,
        "VIGIL_AUTH_RATE_PER_IP": "0",
        "VIGIL_AUTH_RATE_PER_EMAIL": "0",
        "VIGIL_LOG_LEVEL": "WARNING",
        "VIGIL_DIRECTORY_URL": "",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ops.cli", "api"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_sync(lambda: _healthy(url), "the API to be healthy", timeout=30)
        email = unique_email()
        httpx.post(f"{url}/api/v1/auth/signup", json={"email": email, "password": PASSWORD})
        token = httpx.post(
            f"{url}/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        ).json()["access_token"]
        yield url, {"Authorization": f"Bearer {token}"}
    finally:
        proc.terminate()
        _, errors = proc.communicate(timeout=20)
    # Whatever happened, the API must not have logged an unhandled exception.
    assert b"Traceback" not in errors, errors.decode(errors="replace")[-3000:]


# The document the API serves, built without a server (nor a database).
schema = schemathesis.openapi.from_dict(create_app(settings("postgresql://unused/x")).openapi())


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
def test_every_answer_is_as_documented(case, live_api: tuple[str, dict[str, str]]) -> None:
    url, headers = live_api
    load_all_checks()
    operation = f"{case.operation.method.upper()} {case.operation.path}"  # not the sent method
    lifted = [positive_data_acceptance] if operation in REFUSES_VALID else []
    lifted += [negative_data_rejection] if operation in ACCEPTS_INVALID else []
    if operation in SHARES_A_PATH:
        lifted += [unsupported_method, allow_header_conformance]
    case.call_and_validate(
        base_url=url,
        headers=headers,
        timeout=30,
        checks=list(CHECKS.get_all()),
        excluded_checks=lifted,
    )
