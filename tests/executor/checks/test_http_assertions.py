"""The extended HTTP check: request options, content assertions, timings, TLS, degraded."""

import base64
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from executor.checks import http
from shared.messages import Status, TestSpec
from tests.executor.checks.peers import BAD_NAME, context
from tests.executor.checks.tlspeer import CA_PEM, server_context
from tests.targets import free_port, serve


def echo_app() -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        user = base64.b64decode(auth[6:]).decode() if auth.startswith("Basic ") else None
        return web.json_response(
            {
                "method": request.method,
                "body": await request.text(),
                "header": request.headers.get("X-Probe"),
                "user": user,
                "items": [{"status": "green"}],
            }
        )

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<h1>Welcome</h1> all systems nominal", content_type="text/html")

    async def protected(request: web.Request) -> web.Response:
        if (
            request.headers.get("Authorization")
            != "Basic " + base64.b64encode(b"ops:s3cret").decode()
        ):
            raise web.HTTPUnauthorized()
        return web.Response(text="inside")

    async def bounce(request: web.Request) -> web.Response:
        raise web.HTTPFound("/echo")

    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    app.add_routes(
        [web.get("/page", page), web.get("/protected", protected), web.post("/bounce", bounce)]
    )
    return app


@pytest.fixture(scope="module")
async def base() -> AsyncIterator[str]:
    async with serve(echo_app()) as url:
        yield url


@pytest.fixture(scope="module")
async def tls_base() -> AsyncIterator[str]:
    runner = web.AppRunner(echo_app())
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=server_context(days=30)).start()
    yield f"https://127.0.0.1:{port}"
    await runner.cleanup()


def _spec(url: str, timeout: float = 2.0, **config: object) -> TestSpec:
    return TestSpec(1, "a", "local", "http", 60, timeout, {"url": url, **config}, 1)


async def _check(spec: TestSpec, allow_private: bool = True) -> http.Outcome:
    async with context(allow_private) as ctx:
        return await http.run(spec, ctx)


async def test_method_headers_body_and_basic_auth_are_sent(base: str) -> None:
    async with context() as ctx:
        spec = _spec(
            f"{base}/echo",
            method="PUT",
            headers={"X-Probe": "vigil"},
            body="hi",
            basic_auth={"username": "ops", "password": "pw"},
            json_path="$.method",
            json_expected="PUT",
        )
        assert (await http.run(spec, ctx)).status is Status.UP
        for path, expected in (("header", "vigil"), ("body", "hi"), ("user", "ops:pw")):
            spec = _spec(
                f"{base}/echo",
                method="PUT",
                headers={"X-Probe": "vigil"},
                body="hi",
                basic_auth={"username": "ops", "password": "pw"},
                json_path=path,
                json_expected=expected,
            )
            assert (await http.run(spec, ctx)).status is Status.UP, path


async def test_basic_auth_wrong_is_http_status(base: str) -> None:
    good = await _check(
        _spec(f"{base}/protected", basic_auth={"username": "ops", "password": "s3cret"})
    )
    bad = await _check(
        _spec(f"{base}/protected", basic_auth={"username": "ops", "password": "nope"})
    )
    assert good.status is Status.UP
    assert (bad.status, bad.error_kind, bad.http_status) == (Status.DOWN, "http_status", 401)


async def test_keyword_and_regex_must_and_must_not_appear(base: str) -> None:
    url = f"{base}/page"
    ups = [dict(contains="Welcome"), dict(not_contains="Error"), dict(regex=r"all \w+ nominal")]
    downs = [dict(contains="Goodbye"), dict(not_contains="Welcome"), dict(regex=r"^Error")]
    for config in ups:
        assert (await _check(_spec(url, **config))).status is Status.UP, config
    for config in downs:
        outcome = await _check(_spec(url, **config))
        assert (outcome.status, outcome.error_kind) == (Status.DOWN, "content"), config


async def test_json_path_value_missing_or_not_json(base: str) -> None:
    url = f"{base}/echo"
    assert (
        await _check(_spec(url, json_path="items[0].status", json_expected="green"))
    ).status is Status.UP
    for config, words in [
        (dict(json_path="items[0].status", json_expected="red"), "expected"),
        (dict(json_path="items[3].status"), "not in"),
        (dict(json_path="nope.deeper"), "not in"),
    ]:
        outcome = await _check(_spec(url, **config))
        assert outcome.error_kind == "content" and words in outcome.error, config
    not_json = await _check(_spec(f"{base}/page", json_path="a"))
    assert not_json.error_kind == "content" and "not JSON" in not_json.error


async def test_latency_threshold_makes_it_degraded(base: str) -> None:
    outcome = await _check(_spec(f"{base}/echo", degraded_ms=0.001))
    assert (outcome.status, outcome.error_kind) == (Status.DEGRADED, "slow")


async def test_post_redirected_with_302_becomes_a_get(base: str) -> None:
    outcome = await _check(
        _spec(f"{base}/bounce", method="POST", body="x", json_path="method", json_expected="GET")
    )
    assert outcome.status is Status.UP and outcome.extras["redirects"] == 1


async def test_plain_http_timings(base: str) -> None:
    outcome = await _check(_spec(f"{base.replace('127.0.0.1', 'localhost')}/echo"))
    extras = outcome.extras
    assert {"dns_ms", "connect_ms", "ttfb_ms"} <= set(extras) and "tls_ms" not in extras
    assert extras["dns_ms"] <= extras["connect_ms"] <= extras["ttfb_ms"] <= outcome.latency_ms


async def test_https_timings_split_and_cert_days(tls_base: str) -> None:
    outcome = await _check(_spec(f"{tls_base}/echo", ca_pem=CA_PEM))
    assert outcome.status is Status.UP, outcome
    extras = outcome.extras
    assert extras["connect_ms"] < extras["tls_ms"] <= extras["ttfb_ms"] <= outcome.latency_ms
    assert 29 < extras["cert_days"] <= 30


async def test_https_cert_warning_and_untrusted(tls_base: str) -> None:
    warned = await _check(_spec(f"{tls_base}/echo", ca_pem=CA_PEM, cert_warn_days=60))
    assert (warned.status, warned.error_kind) == (Status.DEGRADED, "cert_expiring")
    untrusted = await _check(_spec(f"{tls_base}/echo"))
    assert (untrusted.status, untrusted.error_kind) == (Status.DOWN, "tls")
    insecure = await _check(_spec(f"{tls_base}/echo", verify_tls=False))
    assert insecure.status is Status.UP


async def test_tls_to_a_plain_port_is_a_failure_with_a_kind(base: str) -> None:
    outcome = await _check(_spec(base.replace("http:", "https:") + "/echo"))
    assert outcome.status is Status.DOWN and outcome.error_kind in ("tls", "protocol")


async def test_unresolvable_name_is_dns() -> None:
    outcome = await _check(_spec(f"http://{BAD_NAME}/"))
    assert (outcome.status, outcome.error_kind) == (Status.DOWN, "dns")


def test_json_paths_parse() -> None:
    from shared.checkspec import parse_json_path

    assert parse_json_path('$.a.b[0]["c d"]') == ["a", "b", 0, "c d"]
    assert parse_json_path("a[2]") == ["a", 2]
    assert json.dumps(parse_json_path("$")) == "[]"
