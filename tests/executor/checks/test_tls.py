import trustme

from executor.checks import tls
from shared.messages import Status, TestSpec
from tests.executor.checks.peers import context, silent_listener, tcp_listener
from tests.executor.checks.tlspeer import CA_PEM, server_context, tls_server
from tests.targets import free_port


def _spec(port: int, timeout: float = 2.0, **config: object) -> TestSpec:
    config = {"url": f"tls://127.0.0.1:{port}", "ca_pem": CA_PEM, **config}
    return TestSpec(1, "a", "local", "tls", 60, timeout, config, 1)


async def _check(spec: TestSpec, allow_private: bool = True):
    async with context(allow_private) as ctx:
        return await tls.run(spec, ctx)


async def test_valid_chain_is_up_with_days_left_and_timings() -> None:
    async with tls_server(server_context(days=90)) as port:
        outcome = await _check(_spec(port))
    assert outcome.status is Status.UP, outcome
    assert 89 < outcome.extras["cert_days"] <= 90
    assert {"connect_ms", "tls_ms"} <= set(outcome.extras)


async def test_under_warn_days_is_degraded() -> None:
    async with tls_server(server_context(days=5)) as port:
        outcome = await _check(_spec(port, warn_days=14))
    assert (outcome.status, outcome.error_kind) == (Status.DEGRADED, "cert_expiring")


async def test_expired_untrusted_or_wrong_name_is_tls() -> None:
    other_ca = trustme.CA()
    cases = [
        (server_context(days=-1), {}, "expired"),
        (server_context(ca=other_ca), {}, "local issuer"),
        (server_context(names=("other.example",)), {}, "mismatch"),
    ]
    for server_ctx, config, words in cases:
        async with tls_server(server_ctx) as port:
            outcome = await _check(_spec(port, **config))
        assert (outcome.status, outcome.error_kind) == (Status.DOWN, "tls"), words
        assert words in outcome.error.lower(), outcome.error


async def test_verify_off_accepts_an_untrusted_chain() -> None:
    async with tls_server(server_context(ca=trustme.CA())) as port:
        outcome = await _check(_spec(port, verify_tls=False, ca_pem=None))
    assert outcome.status is Status.UP


async def test_plain_tcp_peer_is_tls_or_protocol_and_silent_peer_times_out() -> None:
    async with tcp_listener(b"220 hello, not tls\r\n") as port:
        outcome = await _check(_spec(port))
    assert outcome.status is Status.DOWN and outcome.error_kind in ("tls", "connect")
    async with silent_listener() as port:
        outcome = await _check(_spec(port, timeout=0.5))
    assert (outcome.status, outcome.error_kind) == (Status.DOWN, "timeout")
    assert "tls" in outcome.error


async def test_refused_and_guarded() -> None:
    assert (await _check(_spec(free_port()))).error_kind == "refused"
    async with tls_server(server_context()) as port:
        assert (await _check(_spec(port), allow_private=False)).error_kind == "forbidden_target"
