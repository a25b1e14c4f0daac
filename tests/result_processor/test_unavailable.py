"""Which database errors make the processor hold its batches and try again (the database is
away) and which send them back to the queue (an error of the batches themselves)."""

import asyncpg
import pytest

from result_processor.service import database_unavailable

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("error", "away"),
    [
        (asyncpg.ConnectionDoesNotExistError, True),  # lost in the middle of the transaction
        (asyncpg.AdminShutdownError, True),  # a fast shutdown
        (asyncpg.CannotConnectNowError, True),  # starting up
        (asyncpg.TooManyConnectionsError, True),
        (asyncpg.DiskFullError, True),
        (asyncpg.QueryCanceledError, False),  # a statement timeout: maybe the batch's own
        (asyncpg.UniqueViolationError, False),
        (asyncpg.DataError, False),
        (asyncpg.UndefinedTableError, False),
    ],
)
def test_unavailable_is_the_server_not_the_batch(error: type, away: bool) -> None:
    assert database_unavailable(error("x")) is away
