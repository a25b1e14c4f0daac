"""The API wrapper against a real HTTP server: answers become values or clear errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from frontend.api_client import ApiClient, ApiUnavailable, BadResponse, Unauthorized
from tests.frontend.fake_api import DEMO_EMAIL, DEMO_PASSWORD, FakeApi, monitor


@pytest.fixture
def api(fake_api: FakeApi) -> Iterator[ApiClient]:
    client = ApiClient(fake_api.url, timeout_s=1.0)
    yield client
    client.close()


def test_login_returns_the_token(api: ApiClient, fake_api: FakeApi) -> None:
    assert api.login(DEMO_EMAIL, DEMO_PASSWORD) in fake_api.tokens


def test_wrong_password_is_unauthorized(api: ApiClient) -> None:
    with pytest.raises(Unauthorized):
        api.login(DEMO_EMAIL, "wrong")


def test_monitors_with_a_token(api: ApiClient, fake_api: FakeApi) -> None:
    fake_api.monitors = [monitor("Shop")]
    body = api.monitors(api.login(DEMO_EMAIL, DEMO_PASSWORD))
    assert [m["name"] for m in body["items"]] == ["Shop"]


def test_monitors_with_a_bad_token_is_unauthorized(api: ApiClient) -> None:
    with pytest.raises(Unauthorized):
        api.monitors("not-a-token")


def test_refused_connection_is_unavailable(api: ApiClient, fake_api: FakeApi) -> None:
    with fake_api.refusing_connections(), pytest.raises(ApiUnavailable):
        api.monitors("t")


def test_server_error_is_unavailable(api: ApiClient, fake_api: FakeApi) -> None:
    fake_api.answer_everything_with(500, "{}")
    with pytest.raises(ApiUnavailable):
        api.monitors("t")


@pytest.mark.parametrize(
    ("status", "body"), [(200, "not json"), (200, "[]"), (200, "null"), (418, "{}")]
)
def test_garbage_is_a_bad_response(
    api: ApiClient, fake_api: FakeApi, status: int, body: str
) -> None:
    fake_api.answer_everything_with(status, body)
    with pytest.raises(BadResponse):
        api.monitors("t")


def test_cookies_from_the_api_are_never_kept(api: ApiClient, fake_api: FakeApi) -> None:
    """The client serves every user, so one user's cookie must not reach another's call."""
    fake_api.answer_everything_with(200, '{"items": [], "next": null}')
    fake_api.set_cookie = "sid=someone-else"
    api.monitors("t")
    api.monitors("t")
    assert len(fake_api.seen) == 2
    assert all("Cookie" not in seen.headers for seen in fake_api.seen)
