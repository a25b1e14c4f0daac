"""Against the machine's PostgreSQL at 127.0.0.1:5432 (trust authentication)."""

from executor.checks import postgres
from shared.messages import Status, TestSpec
from tests.executor.checks.peers import assert_connection_failures, context


def _spec(url: str) -> TestSpec:
    return TestSpec(1, "a", "local", "postgres", 60, 3.0, {"url": url}, 1)


async def test_connect_and_select_one() -> None:
    async with context() as ctx:
        outcome = await postgres.run(_spec("postgresql://postgres@127.0.0.1:5432/postgres"), ctx)
    assert outcome.status is Status.UP, outcome
    assert "connect_ms" in outcome.extras


async def test_unknown_role_is_auth_and_unknown_database_is_protocol() -> None:
    async with context() as ctx:
        role = await postgres.run(_spec("postgresql://no_such_role@127.0.0.1/postgres"), ctx)
        db = await postgres.run(_spec("postgresql://postgres@127.0.0.1/no_such_db_x"), ctx)
    assert (role.status, role.error_kind) == (Status.DOWN, "auth"), role
    assert (db.status, db.error_kind) == (Status.DOWN, "protocol"), db


async def test_connection_failures() -> None:
    await assert_connection_failures(
        postgres.run,
        "postgres",
        lambda p: f"postgresql://postgres@127.0.0.1:{p}/postgres",
        b"SSH-2.0-OpenSSH_9.2\r\n" * 10,
        silent_kind="connect_timeout",
    )
