"""Against the machine's MariaDB at 127.0.0.1:3306 (root, no password)."""

from executor.checks import mysql
from shared.messages import Status, TestSpec
from tests.executor.checks.peers import assert_connection_failures, context


def _spec(url: str) -> TestSpec:
    return TestSpec(1, "a", "local", "mysql", 60, 3.0, {"url": url}, 1)


async def test_connect_and_select_one() -> None:
    async with context() as ctx:
        outcome = await mysql.run(_spec("mysql://root@127.0.0.1:3306"), ctx)
    assert outcome.status is Status.UP, outcome
    assert "connect_ms" in outcome.extras


async def test_unknown_user_is_auth_and_unknown_database_is_protocol() -> None:
    async with context() as ctx:
        user = await mysql.run(_spec("mysql://no_such_user:pw@127.0.0.1:3306"), ctx)
        db = await mysql.run(_spec("mysql://root@127.0.0.1:3306/no_such_db_x"), ctx)
    assert (user.status, user.error_kind) == (Status.DOWN, "auth"), user
    assert (db.status, db.error_kind) == (Status.DOWN, "protocol"), db


async def test_connection_failures() -> None:
    await assert_connection_failures(
        mysql.run,
        "mysql",
        lambda p: f"mysql://root@127.0.0.1:{p}",
        b"HTTP/1.1 400 Bad Request\r\n\r\n" * 4,
        silent_kind="connect_timeout",
    )
