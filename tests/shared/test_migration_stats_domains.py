"""Migrations 0010 (processor_stats, status_pages.custom_domain), d0002 (the directory's
domains) and d0003 (their proof) go down and up again, keeping the pages, the unique index
and the claims."""

import asyncio

import asyncpg
import pytest
from alembic import command

from ops.migrate import DIRECTORY_SCRIPTS, alembic_config, upgrade, upgrade_directory
from tests import services

pytestmark = pytest.mark.integration


async def _fetch(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


def _columns(url: str, table: str) -> set[str]:
    rows = asyncio.run(
        _fetch(
            url,
            "SELECT column_name FROM information_schema.columns "
            f"WHERE table_schema = 'public' AND table_name = '{table}'",
        )
    )
    return {r["column_name"] for r in rows}


def test_cell_migration_down_and_up() -> None:
    name, url = services.create_migrated_database("vigil_mig")
    try:
        asyncio.run(
            _fetch(
                url,
                """
            WITH a AS (INSERT INTO accounts (email, password_hash) VALUES ('m@example.com', 'x')
                       RETURNING id)
            INSERT INTO status_pages (account_id, slug, title, language, custom_domain)
            SELECT id, 'kept', 'Kept', 'en', 'status.example.com' FROM a""",
            )
        )
        command.downgrade(alembic_config(url), "0009_cert_notices")
        assert "custom_domain" not in _columns(url, "status_pages")
        assert _columns(url, "processor_stats") == set()
        upgrade(url)
        assert {"custom_domain"} <= _columns(url, "status_pages")
        assert "results_per_second" in _columns(url, "processor_stats")
        asyncio.run(_fetch(url, "UPDATE status_pages SET custom_domain = 'a.example.com'"))
        with pytest.raises(asyncpg.UniqueViolationError):
            asyncio.run(
                _fetch(
                    url,
                    "INSERT INTO status_pages (account_id, slug, title, "
                    "language, custom_domain) SELECT account_id, 'other', 'O', "
                    "'en', 'a.example.com' FROM status_pages",
                )
            )
    finally:
        services.drop_database_sync(name)


PROOF = {"token", "claimed_at", "verified_at"}


def test_directory_migration_down_and_up() -> None:
    name, url = services.create_directory_database("vigil_mig_dir")
    try:
        assert _columns(url, "domains") == {"domain", "account"} | PROOF
        command.downgrade(alembic_config(url, DIRECTORY_SCRIPTS), "d0001")
        assert _columns(url, "domains") == set()
        upgrade_directory(url)
        assert _columns(url, "domains") == {"domain", "account"} | PROOF
    finally:
        services.drop_database_sync(name)


def test_claims_made_before_the_proof_get_a_token_and_are_unproven() -> None:
    name, url = services.create_directory_database("vigil_mig_proof")
    try:
        command.downgrade(alembic_config(url, DIRECTORY_SCRIPTS), "d0002")
        asyncio.run(
            _fetch(
                url,
                """
            WITH c AS (INSERT INTO cells (name, api_url, database_url, capacity)
                       VALUES ('a', 'http://a', 'postgresql://a', 1) RETURNING name),
                 a AS (INSERT INTO accounts (email, cell) SELECT 'm@example.com', name FROM c
                       RETURNING email)
            INSERT INTO domains (domain, account)
            SELECT d, email FROM a, unnest(ARRAY['a.example.com', 'b.example.com']) d""",
            )
        )
        upgrade_directory(url)
        rows = asyncio.run(_fetch(url, "SELECT * FROM domains ORDER BY domain"))
        assert [r["domain"] for r in rows] == ["a.example.com", "b.example.com"]
        assert all(len(r["token"]) == 32 and int(r["token"], 16) >= 0 for r in rows)
        assert rows[0]["token"] != rows[1]["token"]
        assert all(r["verified_at"] is None and r["claimed_at"] is not None for r in rows)
    finally:
        services.drop_database_sync(name)
