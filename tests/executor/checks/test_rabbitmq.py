"""Against the machine's RabbitMQ at 127.0.0.1:5672 (guest/guest)."""

from executor.checks import rabbitmq
from shared.messages import Status, TestSpec
from tests.executor.checks.peers import assert_connection_failures, context


def _spec(url: str) -> TestSpec:
    return TestSpec(1, "a", "local", "rabbitmq", 60, 5.0, {"url": url}, 1)


async def test_amqp_connection_opens() -> None:
    async with context() as ctx:
        outcome = await rabbitmq.run(_spec("amqp://guest:guest@127.0.0.1:5672/"), ctx)
    assert outcome.status is Status.UP, outcome
    assert "open_ms" in outcome.extras


async def test_bad_login_or_vhost_is_auth() -> None:
    async with context() as ctx:
        login = await rabbitmq.run(_spec("amqp://guest:wrong@127.0.0.1:5672/"), ctx)
        vhost = await rabbitmq.run(_spec("amqp://guest:guest@127.0.0.1:5672/no-such-vhost-x"), ctx)
    assert (login.status, login.error_kind) == (Status.DOWN, "auth"), login
    assert (vhost.status, vhost.error_kind) == (Status.DOWN, "auth"), vhost


async def test_connection_failures() -> None:
    await assert_connection_failures(
        rabbitmq.run,
        "rabbitmq",
        lambda p: f"amqp://guest:guest@127.0.0.1:{p}/",
        b"HTTP/1.1 400 Bad Request\r\n\r\n",
        silent_kind="connect_timeout",
    )
