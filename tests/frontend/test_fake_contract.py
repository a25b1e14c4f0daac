"""The fake API answers test creates and edits as the real API does.

The same requests, good and bad, of several kinds, go to tests/frontend/fake_api.py and to
the real API (api.app on the session's scratch cell database, as tests/api run it); each
must get the same status, and a 422 the same fields in its errors. So the frontend tests,
which run against the fake, cannot pass on a body the real API refuses.

Until issue 14's API half (branch issue14-api) is merged, the real API takes HTTP tests
only, with the old fields: the cases that need it are strict xfails, so they fail loudly
the day they start to pass and their marks can go.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shared.messages import CHECK_KINDS
from tests.api.helpers import client_for, new_user
from tests.frontend.fake_api import DEMO_EMAIL, DEMO_PASSWORD, FakeApi

pytestmark = pytest.mark.integration
HTTP = {"kind": "http", "url": "https://example.com/", "interval_s": 60, "timeout_s": 10}
TCP = {"kind": "tcp", "url": "tcp://db.example.com:5432", "interval_s": 60, "timeout_s": 10}
DNS = {
    "kind": "dns",
    "url": "dns://9.9.9.9",
    "name": "example.com",
    "interval_s": 60,
    "timeout_s": 10,
}
RULE = {
    "retries": 2,
    "regions": 1,
    "recover_after": 2,
    "threshold": {"max_failures": 3, "window_s": 300},
}

# (a test body for POST /monitors and POST /monitors/{id}/tests, the status both answer)
CREATES = [
    pytest.param(HTTP, 201, id="http"),
    pytest.param({**HTTP, "url": "https://127.0.0.1/"}, 422, id="http-private"),
    pytest.param({**HTTP, "url": "ftp://example.com/"}, 422, id="http-scheme"),
    pytest.param({**HTTP, "interval_s": 20}, 422, id="http-interval-floor"),
    pytest.param({**HTTP, "timeout_s": 60}, 422, id="http-timeout-not-shorter"),
    pytest.param({**HTTP, "colour": "red"}, 422, id="unknown-field"),
    pytest.param({**HTTP, "kind": "gopher"}, 422, id="unknown-kind"),
    pytest.param({"kind": "heartbeat", "interval_s": 3600, "grace_s": 60}, 201, id="heartbeat"),
    pytest.param({**HTTP, "contains": "ok", "degraded_ms": 500}, 201, id="http-contains"),
    # Refused by both today too, if for another reason (the old API knows no `regex`).
    pytest.param({**HTTP, "regex": "("}, 422, id="http-bad-regex"),
    pytest.param({**HTTP, "headers": {"X-A": "one\ntwo"}}, 422, id="http-header-newline"),
    pytest.param(TCP, 201, id="tcp"),
    pytest.param({**TCP, "url": "http://db.example.com:25/"}, 422, id="tcp-http-url"),
    pytest.param(DNS, 201, id="dns"),
    pytest.param({k: v for k, v in DNS.items() if k != "name"}, 422, id="dns-no-name"),
    pytest.param({**DNS, "record_type": "XYZ"}, 422, id="dns-bad-type"),
    pytest.param(
        {**TCP, "kind": "ping", "url": "icmp://router.example.com", "count": 0},
        422,
        id="ping-count-0",
    ),
    pytest.param({**HTTP, "alert_rule": RULE}, 201, id="alert-rule"),
    pytest.param(
        {**HTTP, "alert_rule": {**RULE, "threshold": {"max_5xx": 1, "window_s": 5}}},
        422,
        id="alert-rule-short-window",
    ),
]
# (a patch of a stored good HTTP test, the status both answer)
EDITS = [
    pytest.param({"interval_s": 120}, 200, id="interval"),
    pytest.param({"enabled": False}, 200, id="pause"),
    pytest.param({"url": "ftp://example.com/"}, 422, id="scheme"),
    pytest.param({"interval_s": 20}, 422, id="interval-floor"),
    pytest.param({"contains": "ok"}, 200, id="contains"),
    pytest.param({"regex": "("}, 422, id="bad-regex"),
    pytest.param({"alert_rule": {"recover_after": 0}}, 422, id="alert-rule-recover-0"),
]


class Api:
    """One API (fake or real) as a logged-in user sees it."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    async def send(self, method: str, path: str, body: Any) -> httpx.Response:
        return await self.client.request(method, f"/api/v1{path}", json=body, headers=self.headers)

    async def monitor_with_http_test(self) -> tuple[int, int]:
        created = await self.send("POST", "/monitors", {"name": "contract", "tests": [HTTP]})
        assert created.status_code == 201, created.text
        return created.json()["id"], created.json()["tests"][0]["id"]


@pytest.fixture(scope="module")
async def real(database_url: str) -> AsyncIterator[Api]:
    async with client_for(database_url) as client:
        user = await new_user(client)
        yield Api(client, user.token)


@pytest.fixture
async def fake() -> AsyncIterator[Api]:
    api = FakeApi()
    api.start()
    async with httpx.AsyncClient(base_url=api.url) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        )
        yield Api(client, login.json()["access_token"])
    api.stop()


def fields(response: httpx.Response) -> list[str]:
    """The fields a 422 names, as a path below the test ("url", "alert_rule.threshold.
    window_s"), whatever list or union tag the API puts before it."""
    detail = response.json().get("detail")
    if isinstance(detail, str):  # "name: required", as checkspec words it
        return [detail.partition(":")[0]]
    found = set()
    for error in detail:
        names = [p for p in error["loc"] if isinstance(p, str)]
        names = names[1:] if names[:1] == ["body"] else names
        names = names[1:] if names[:1] == ["tests"] else names
        if len(names) > 1 and names[0] in (*CHECK_KINDS, "heartbeat"):
            names = names[1:]  # a discriminated union's tag
        found.add(".".join(names))
    return sorted(found)


async def same_answer(
    fake: Api, real: Api, method: str, paths: tuple[str, str], body: Any, status: int
) -> None:
    fake_answer = await fake.send(method, paths[0], body)
    real_answer = await real.send(method, paths[1], body)
    assert real_answer.status_code == status, real_answer.text
    assert fake_answer.status_code == status, fake_answer.text
    if status == 422:
        assert fields(fake_answer) == fields(real_answer), (fake_answer.text, real_answer.text)


@pytest.mark.parametrize(("test", "status"), CREATES)
async def test_create_a_monitor(fake: Api, real: Api, test: dict[str, Any], status: int) -> None:
    body = {"name": "contract", "tests": [test]}
    await same_answer(fake, real, "POST", ("/monitors", "/monitors"), body, status)


@pytest.mark.parametrize(("test", "status"), CREATES)
async def test_add_a_test(fake: Api, real: Api, test: dict[str, Any], status: int) -> None:
    fake_mid, _ = await fake.monitor_with_http_test()
    real_mid, _ = await real.monitor_with_http_test()
    paths = (f"/monitors/{fake_mid}/tests", f"/monitors/{real_mid}/tests")
    await same_answer(fake, real, "POST", paths, test, status)


@pytest.mark.parametrize(("patch", "status"), EDITS)
async def test_edit_a_test(fake: Api, real: Api, patch: dict[str, Any], status: int) -> None:
    fake_ids, real_ids = await fake.monitor_with_http_test(), await real.monitor_with_http_test()
    paths = ("/monitors/{}/tests/{}".format(*fake_ids), "/monitors/{}/tests/{}".format(*real_ids))
    await same_answer(fake, real, "PATCH", paths, patch, status)


# (a status page's branding fields, the status both answer to a new page with them)
BRANDINGS = [
    pytest.param(
        {
            "accent_color": "#0B6BCB",
            "favicon_url": "https://a.example/f.png",
            "footer_links": [{"label": "Help", "url": "http://a.example/help"}],
        },
        201,
        id="good",
    ),
    pytest.param({"accent_color": "red;}"}, 422, id="accent"),
    pytest.param({"favicon_url": "http://a.example/f.png"}, 422, id="http-favicon"),
    pytest.param(
        {"footer_links": [{"label": "x", "url": "javascript:alert(1)"}]}, 422, id="javascript-link"
    ),
    pytest.param(
        {"footer_links": [{"label": "x" * 61, "url": "https://a.example"}]}, 422, id="long-label"
    ),
    pytest.param(
        {"footer_links": [{"label": "x", "url": "https://a.example"}] * 6}, 422, id="six-links"
    ),
]


@pytest.mark.parametrize(("branding", "status"), BRANDINGS)
async def test_a_pages_branding(
    fake: Api, real: Api, branding: dict[str, Any], status: int
) -> None:
    import uuid

    body = {"slug": f"brand-{uuid.uuid4().hex[:12]}", "title": "Brand", **branding}
    await same_answer(fake, real, "POST", ("/status-pages", "/status-pages"), body, status)


# (a sign-up body, or None for the address that has an account, and the status both answer)
SIGNUPS = [
    pytest.param(None, 202, id="taken"),
    pytest.param({"password": "long enough pass"}, 202, id="free"),
    pytest.param({"email": "not an email", "password": "long enough pass"}, 422, id="bad-email"),
    pytest.param({"password": "short"}, 422, id="short-password"),
]


@pytest.mark.parametrize(("body", "status"), SIGNUPS)
async def test_sign_up_answers_alike_whether_the_address_is_taken_or_not(
    database_url: str, body: dict[str, Any] | None, status: int
) -> None:
    """As the API does with VIGIL_SIGNUP_CONFIRM (its default): a taken address gets the
    free one's 202 and body; a bad field is named."""
    async with client_for(database_url) as making:  # made at once: it holds the address
        owner = await new_user(making)
    api = FakeApi()
    api.start()
    try:
        async with (
            client_for(database_url, VIGIL_SIGNUP_CONFIRM="true") as real_client,
            httpx.AsyncClient(base_url=api.url) as fake_client,
        ):
            answers = []
            for client, taken in ((fake_client, DEMO_EMAIL), (real_client, owner.email)):
                sent = body or {"email": taken, "password": "another password"}
                sent = {"email": f"new-{uuid.uuid4().hex}@example.com", **sent}
                answers.append(await client.post("/api/v1/auth/signup", json=sent))
                if status == 202:
                    free = await client.post(
                        "/api/v1/auth/signup",
                        json={
                            "email": f"new-{uuid.uuid4().hex}@example.com",
                            "password": "long enough pass",
                        },
                    )
                    assert (free.status_code, free.json()) == (
                        answers[-1].status_code,
                        answers[-1].json(),
                    )
                spent = await client.post(
                    "/api/v1/auth/signup/confirm", json={"token": "vs_not-a-link"}
                )
                assert spent.status_code == 401, spent.text
    finally:
        api.stop()
    fake_answer, real_answer = answers
    assert real_answer.status_code == fake_answer.status_code == status, (
        fake_answer.text,
        real_answer.text,
    )
    if status == 422:
        assert fields(fake_answer) == fields(real_answer)
    else:
        assert set(fake_answer.json()) == set(real_answer.json()) == {"detail"}
