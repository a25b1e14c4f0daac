from executor.checks import tcp
from shared.messages import Status, TestSpec
from tests.executor.checks.peers import BAD_NAME, black_hole, context, tcp_listener
from tests.targets import free_port


def _spec(url: str, timeout: float = 2.0, **config: object) -> TestSpec:
    return TestSpec(1, "a", "local", "tcp", 60, timeout, {"url": url, **config}, 1)


async def _check(spec: TestSpec, allow_private: bool = True):
    async with context(allow_private) as ctx:
        return await tcp.run(spec, ctx)


async def test_open_port_is_up_with_connect_time() -> None:
    async with tcp_listener() as port:
        outcome = await _check(_spec(f"tcp://127.0.0.1:{port}"))
    assert outcome.status is Status.UP and outcome.latency_ms is not None
    assert outcome.extras is not None and "connect_ms" in outcome.extras


async def test_closed_port_is_refused() -> None:
    outcome = await _check(_spec(f"tcp://127.0.0.1:{free_port()}"))
    assert (outcome.status, outcome.error_kind) == (Status.DOWN, "refused")


async def test_full_accept_queue_is_a_connect_timeout() -> None:
    with black_hole() as port:
        outcome = await _check(_spec(f"tcp://127.0.0.1:{port}", timeout=0.5))
    assert (outcome.status, outcome.error_kind) == (Status.DOWN, "connect_timeout")


async def test_unresolvable_name_is_dns() -> None:
    outcome = await _check(_spec(f"tcp://{BAD_NAME}:80"))
    assert (outcome.status, outcome.error_kind) == (Status.DOWN, "dns")


async def test_private_targets_are_refused_unless_allowed() -> None:
    async with tcp_listener() as port:
        for host in ("127.0.0.1", "localhost"):
            outcome = await _check(_spec(f"tcp://{host}:{port}"), allow_private=False)
            assert outcome.error_kind == "forbidden_target", host


async def test_garbage_config_is_a_config_failure() -> None:
    for config in (
        {"url": "tcp://host-without-port"},
        {"url": 5},
        {"url": "http://x:1"},
        {"url": "tcp://x:99999"},
        {},
    ):
        outcome = await tcp.run(TestSpec(1, "a", "l", "tcp", 60, 1, config, 1), None)  # type: ignore[arg-type]
        assert outcome.error_kind == "config" and outcome.error.startswith("url:"), config
