"""Against the machine's Redis at 127.0.0.1:6379 (no password)."""

from executor.checks import redis
from shared.messages import Status, TestSpec
from tests.executor.checks.peers import assert_connection_failures, context


def _spec(url: str) -> TestSpec:
    return TestSpec(1, "a", "local", "redis", 60, 2.0, {"url": url}, 1)


async def test_ping_answers_pong() -> None:
    async with context() as ctx:
        outcome = await redis.run(_spec("redis://127.0.0.1:6379"), ctx)
    assert outcome.status is Status.UP, outcome
    assert "connect_ms" in outcome.extras


async def test_refused_password_is_auth() -> None:
    async with context() as ctx:
        outcome = await redis.run(_spec("redis://:wrong@127.0.0.1:6379"), ctx)
    assert (outcome.status, outcome.error_kind) == (Status.DOWN, "auth"), outcome


async def test_connection_failures() -> None:
    await assert_connection_failures(
        redis.run, "redis", lambda p: f"redis://127.0.0.1:{p}", b"HTTP/1.1 400 Bad Request\r\n\r\n"
    )
