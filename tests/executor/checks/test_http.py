from collections.abc import AsyncIterator

import pytest

from executor.checks import http
from executor.checks.base import CheckContext
from executor.service import http_session
from shared.config import Settings
from shared.messages import Status, TestSpec
from tests.targets import free_port, serve, target_app


def _spec(url: str, timeout: float = 2.0, **config: object) -> TestSpec:
    return TestSpec(1, "a", "local", "http", 60, timeout, {"url": url, **config}, 1)


@pytest.fixture(scope="module")
async def base_url() -> AsyncIterator[str]:
    async with serve(target_app()) as url:
        yield url


async def _check(spec: TestSpec, allow_private: bool = True) -> http.Outcome:
    settings = Settings.from_env({"VIGIL_ALLOW_PRIVATE_TARGETS": str(allow_private)})
    async with http_session(settings) as session:
        return await http.run(spec, CheckContext(session, 4096, allow_private))


async def test_up_with_latency(base_url: str) -> None:
    outcome = await _check(_spec(f"{base_url}/ok"))
    assert outcome.status is Status.UP and outcome.http_status == 200
    assert outcome.latency_ms is not None and 0 < outcome.latency_ms < 2000


async def test_unexpected_status_is_down_with_the_code(base_url: str) -> None:
    outcome = await _check(_spec(f"{base_url}/status/503"))
    assert (outcome.status, outcome.error_kind, outcome.http_status) == (
        Status.DOWN,
        "http_status",
        503,
    )


async def test_expected_status_list_is_honoured(base_url: str) -> None:
    outcome = await _check(_spec(f"{base_url}/status/404", expected_status=[404]))
    assert outcome.status is Status.UP


async def test_timeout(base_url: str) -> None:
    outcome = await _check(_spec(f"{base_url}/slow?s=3", timeout=0.3))
    assert (outcome.status, outcome.error_kind) == (Status.DOWN, "timeout")


async def test_connection_refused() -> None:
    outcome = await _check(_spec(f"http://127.0.0.1:{free_port()}/"))
    assert (outcome.status, outcome.error_kind) == (Status.DOWN, "refused")


async def test_redirects_are_followed_or_not(base_url: str) -> None:
    assert (await _check(_spec(f"{base_url}/redirect"))).http_status == 200
    not_followed = await _check(_spec(f"{base_url}/redirect", follow_redirects=False))
    assert not_followed.http_status == 302 and not_followed.status is Status.DOWN


async def test_redirect_loop_is_a_named_failure(base_url: str) -> None:
    assert (await _check(_spec(f"{base_url}/loop"))).error_kind == "redirects"


async def test_private_targets_are_refused_at_check_time(base_url: str) -> None:
    literal = await _check(_spec(f"{base_url}/ok"), allow_private=False)
    assert literal.error_kind == "forbidden_target"
    port = base_url.rsplit(":", 1)[1]
    by_name = await _check(_spec(f"http://localhost:{port}/ok"), allow_private=False)
    assert by_name.error_kind == "forbidden_target"


async def test_every_redirect_hop_is_guarded(base_url: str, monkeypatch) -> None:
    # The test server itself is on loopback, so let the guard pass 127.0.0.1 (only) and
    # watch it stop the second hop, which points at a private address.
    real_guard = http.check_literal
    monkeypatch.setattr(
        http, "check_literal", lambda host, allow: real_guard(host, allow or host == "127.0.0.1")
    )
    outcome = await _check(
        _spec(f"{base_url}/redirect?to=http://10.255.255.1/"), allow_private=False
    )
    assert outcome.error_kind == "forbidden_target"
    assert "10.255.255.1" in (outcome.error or "")


async def test_garbage_config_is_a_config_failure_naming_the_field() -> None:
    for config, field in [
        ({"url": "not a url at all"}, "url"),
        ({"url": 7}, "url"),
        ({"method": "BREW"}, "method"),
        ({"expected_status": [99]}, "expected_status"),
        ({"headers": {"X": "a\nb"}}, "headers"),
        ({"regex": "("}, "regex"),
        ({"json_path": "a..b"}, "json_path"),
        ({"retries": -1}, "retries"),
        ({"basic_auth": "me"}, "basic_auth"),
        ({"degraded_ms": 0}, "degraded_ms"),
    ]:
        outcome = await _check(
            _spec("http://127.0.0.1:9/", **config)
            if "url" not in config
            else TestSpec(1, "a", "l", "http", 60, 1, config, 1)
        )
        assert outcome.error_kind == "config", config
        assert outcome.error.startswith(f"{field}:"), (config, outcome.error)
