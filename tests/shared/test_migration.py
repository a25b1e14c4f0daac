"""Migration 0002 carries the rows of the plain result tables into partitions."""

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from ops.migrate import upgrade
from tests import services

pytestmark = pytest.mark.integration


async def _rows(url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


def test_existing_rows_are_carried_into_partitions() -> None:
    name = services.unique("vigil_mig")
    url = services.database_url(name)
    try:
        upgrade(url, "0001")
        now = datetime.now(UTC).replace(microsecond=0)
        times = [now, now - timedelta(days=2), now - timedelta(days=40), now - timedelta(days=800)]
        insert = (
            "INSERT INTO {} (test_id, checked_at, region, node, status) "
            "SELECT 7, t, 'r', 'n', 1 FROM unnest($1::timestamptz[]) AS t"
        )
        for table in ("results", "results_week"):
            asyncio.run(_rows(url, insert.format(table), times))
        upgrade(url)
        full = asyncio.run(
            _rows(
                url,
                "SELECT checked_at, tableoid::regclass::text AS p FROM results ORDER BY checked_at",
            )
        )
        assert [r["checked_at"] for r in full] == sorted(times)
        assert all(r["p"].startswith("results_p") for r in full)
        week = asyncio.run(_rows(url, "SELECT tableoid::regclass::text AS p FROM results_week"))
        assert len(week) == 4  # carried over; the two older than a week wait to be purged
        assert sum(r["p"] == "results_week_default" for r in week) == 2
    finally:
        services.drop_database_sync(name)


def test_existing_tests_run_in_their_region_and_results_get_no_extras() -> None:
    name = services.unique("vigil_mig")
    url = services.database_url(name)
    try:
        upgrade(url, "0005")
        asyncio.run(
            _rows(
                url,
                """
            WITH a AS (INSERT INTO accounts (email, password_hash) VALUES ('m@example.com', 'x')
                       RETURNING id),
                 m AS (INSERT INTO monitors (account_id, name) SELECT id, 'm' FROM a
                       RETURNING id, account_id)
            INSERT INTO tests (monitor_id, account_id, kind, region, interval_s, timeout_s, config)
            SELECT m.id, m.account_id, 'http', 'eu-west', 60, 5, '{}' FROM m""",
            )
        )
        asyncio.run(
            _rows(
                url,
                "INSERT INTO results (test_id, checked_at, region, node, status) "
                "VALUES (1, now(), 'eu-west', 'n', 1)",
            )
        )
        upgrade(url)
        [test] = asyncio.run(_rows(url, "SELECT region, regions FROM tests"))
        assert (test["region"], test["regions"]) == ("eu-west", ["eu-west"])
        [result] = asyncio.run(_rows(url, "SELECT extras FROM results"))
        assert result["extras"] is None
    finally:
        services.drop_database_sync(name)
