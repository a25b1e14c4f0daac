from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from executor.checks import smtp
from shared.messages import Status, TestSpec
from tests.executor.checks.peers import context, silent_listener, tcp_listener
from tests.executor.checks.tlspeer import CA_PEM, server_context
from tests.targets import free_port


class _Sink:
    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        return "250 OK"


def _controller(**kwargs) -> Iterator[int]:
    port = free_port()
    controller = Controller(
        _Sink(), hostname="127.0.0.1", port=port, ident="Vigil test sink", **kwargs
    )
    controller.start()
    yield port
    controller.stop()


@pytest.fixture(scope="module")
def starttls_port() -> Iterator[int]:
    yield from _controller(tls_context=server_context(), require_starttls=False)


@pytest.fixture(scope="module")
def plain_port() -> Iterator[int]:
    yield from _controller()


def _spec(port: int, timeout: float = 3.0, **config: object) -> TestSpec:
    config = {"url": f"smtp://127.0.0.1:{port}", "ca_pem": CA_PEM, **config}
    return TestSpec(1, "a", "local", "smtp", 60, timeout, config, 1)


async def _check(spec: TestSpec, allow_private: bool = True):
    async with context(allow_private) as ctx:
        return await smtp.run(spec, ctx)


async def test_banner_and_ehlo(plain_port: int) -> None:
    outcome = await _check(_spec(plain_port, banner_contains="Vigil test sink"))
    assert outcome.status is Status.UP, outcome
    assert {"connect_ms", "banner_ms"} <= set(outcome.extras)


async def test_starttls_verified(starttls_port: int) -> None:
    outcome = await _check(_spec(starttls_port, starttls=True))
    assert outcome.status is Status.UP, outcome
    assert "tls_ms" in outcome.extras


async def test_starttls_untrusted_is_tls(starttls_port: int) -> None:
    outcome = await _check(_spec(starttls_port, starttls=True, ca_pem=None))
    assert (outcome.status, outcome.error_kind) == (Status.DOWN, "tls"), outcome


async def test_starttls_not_offered_is_protocol(plain_port: int) -> None:
    outcome = await _check(_spec(plain_port, starttls=True))
    assert (outcome.status, outcome.error_kind) == (Status.DOWN, "protocol")
    assert "STARTTLS" in outcome.error


async def test_banner_mismatch_is_content(plain_port: int) -> None:
    outcome = await _check(_spec(plain_port, banner_contains="Exchange"))
    assert (outcome.status, outcome.error_kind) == (Status.DOWN, "content")


async def test_not_smtp_refused_silent() -> None:
    async with tcp_listener(b"HTTP/1.1 400 Bad Request\r\n\r\n") as port:
        assert (await _check(_spec(port))).error_kind == "protocol"
    assert (await _check(_spec(free_port()))).error_kind == "refused"
    async with silent_listener() as port:
        outcome = await _check(_spec(port, timeout=0.5))
    assert outcome.error_kind == "timeout"


async def test_guarded(plain_port: int) -> None:
    outcome = await _check(_spec(plain_port), allow_private=False)
    assert outcome.error_kind == "forbidden_target"
