"""The operator's commands: `vigil cells ...` against a directory, `vigil quota` against a
cell database, and their refusals of bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests import services
from tests.helpers import short_name

pytestmark = pytest.mark.e2e  # starts real components as subprocesses


def vigil(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "VIGIL_LOG_LEVEL": "ERROR", **env},
    )


@pytest.fixture(scope="module")
def directory() -> Iterator[str]:
    name, url = services.create_directory_database()
    yield url
    services.drop_database_sync(name)


def test_add_list_close_open(directory: str) -> None:
    cell = short_name("c")
    added = vigil(
        "cells",
        "add",
        cell,
        "--api-url",
        "http://127.0.0.1:9999/",
        "--database-url",
        "postgresql://x/y",
        "--capacity",
        "7",
        VIGIL_DIRECTORY_URL=directory,
    )
    assert added.returncode == 0, added.stderr
    assert vigil("cells", "close", cell, VIGIL_DIRECTORY_URL=directory).returncode == 0
    listed = vigil("cells", "list", VIGIL_DIRECTORY_URL=directory).stdout
    assert f"{cell}" in listed and "closed" in listed and " 7 " in listed
    assert "http://127.0.0.1:9999" in listed and "9999/" not in listed
    assert vigil("cells", "open", cell, VIGIL_DIRECTORY_URL=directory).returncode == 0
    assert "open" in vigil("cells", "list", VIGIL_DIRECTORY_URL=directory).stdout


def test_refusals(directory: str) -> None:
    assert vigil("cells", "list", VIGIL_DIRECTORY_URL="").returncode == 2
    assert vigil("cells", "close", "nope", VIGIL_DIRECTORY_URL=directory).returncode == 1
    moved = vigil("cells", "move", "nobody@example.com", "--to", "x", VIGIL_DIRECTORY_URL=directory)
    assert moved.returncode == 1 and "no such account" in moved.stderr
    assert (
        vigil(
            "cells",
            "add",
            "x",
            "--api-url",
            "u",
            "--database-url",
            "d",
            "--capacity",
            "many",
            VIGIL_DIRECTORY_URL=directory,
        ).returncode
        == 2
    )
    assert vigil("migrate", "--directory", VIGIL_DIRECTORY_URL="").returncode == 2


def test_quota(database_url: str) -> None:
    import asyncio

    from sqlalchemy import insert

    from shared import db
    from shared.tables import accounts

    email = f"{short_name('q')}@example.com"

    async def owner() -> None:
        engine = db.engine(database_url, pool_size=1)
        async with engine.begin() as conn:
            await conn.execute(insert(accounts).values(email=email, password_hash="x"))
        await engine.dispose()

    asyncio.run(owner())
    env = {"VIGIL_DATABASE_URL": database_url, "VIGIL_MAX_TESTS": "100"}
    assert "at most 100 tests" in vigil("quota", email, **env).stdout
    out = vigil("quota", email, "--max-tests", "5", "--min-interval", "10", **env).stdout
    assert "at most 5 tests, every 10 s" in out
    assert "at most 100 tests" in vigil("quota", email, "--reset", **env).stdout
    assert vigil("quota", email, "--max-tests", "0", **env).returncode == 2
    assert vigil("quota", "nobody@example.com", **env).returncode == 1
