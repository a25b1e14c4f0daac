"""What `make run` does with two cells, over real HTTP: two `vigil api` processes behind
one directory; the demo account is seeded through the entry cell's API, wherever the
directory places it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from ops.stack import DEMO_EMAIL, DEMO_PASSWORD, children, local_cells, seed_demo
from shared import db
from shared.config import Settings
from shared.directory import Directory
from tests.api.helpers import SECRET
from tests.helpers import short_name, wait_sync
from tests.targets import free_port

pytestmark = pytest.mark.e2e  # starts real components as subprocesses


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


async def _cells(directory_url: str, cells: list[tuple[str, str, str, int]]) -> None:
    engine = db.engine(directory_url, pool_size=1)
    directory = Directory(engine)
    for cell in await directory.cells():
        await directory.set_open(cell.name, False)
    for name, url, database_url, capacity in cells:
        await directory.add_cell(name, url, database_url, capacity)
    await engine.dispose()


@pytest.fixture
def two_apis(
    directory_url: str, database_url: str, other_cell_url: str
) -> Iterator[tuple[str, str]]:
    names, ports = (short_name("a"), short_name("b")), (free_port(), free_port())
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    # Cell a takes nobody: the demo account must land in b through the redirect.
    asyncio.run(
        _cells(
            directory_url,
            [(names[0], urls[0], database_url, 0), (names[1], urls[1], other_cell_url, 10)],
        )
    )
    procs = []
    for name, port, url, database in zip(
        names, ports, urls, (database_url, other_cell_url), strict=True
    ):
        env = {
            **os.environ,
            "VIGIL_CELL": name,
            "VIGIL_API_PORT": str(port),
            "VIGIL_API_URL": url,
            "VIGIL_DATABASE_URL": database,
            "VIGIL_DIRECTORY_URL": directory_url,
            "VIGIL_SECRET_KEY": SECRET,
            "VIGIL_ALLOW_PRIVATE_TARGETS": "true",
            "VIGIL_MIN_INTERVAL": "10",
            "VIGIL_LOG_LEVEL": "WARNING",
        }
        procs.append(subprocess.Popen([sys.executable, "-m", "ops.cli", "api"], env=env))
    try:
        for url in urls:
            wait_sync(lambda url=url: _healthy(url), f"the API at {url}", timeout=30)
        yield urls[0], urls[1]
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(20)


def test_the_demo_is_seeded_through_the_directory(two_apis: tuple[str, str]) -> None:
    entry, cell_b = two_apis
    seed_demo(entry)
    seed_demo(entry)  # again: nothing doubles
    creds = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    assert httpx.post(f"{entry}/api/v1/auth/login", json=creds).status_code == 401
    token = httpx.post(f"{cell_b}/api/v1/auth/login", json=creds).json()["access_token"]
    listed = httpx.get(f"{cell_b}/api/v1/monitors", headers={"Authorization": f"Bearer {token}"})
    assert len(listed.json()["items"]) == 3


def test_make_run_starts_two_cells_and_one_frontend() -> None:
    settings = Settings.from_env({})
    a, b = local_cells(settings)
    assert (a.name, a.api_url, b.name, b.api_url) == (
        "a",
        "http://127.0.0.1:8100",
        "b",
        "http://127.0.0.1:8101",
    )
    assert a.database_url.endswith("/vigil_a") and b.database_url.endswith("/vigil_b")
    names = [name for name, _, _ in children(settings)]
    assert sorted(names) == sorted(
        [
            "demo-targets",
            "executor",
            "frontend",
            "processor-a",
            "scheduler-a",
            "api-a",
            "notifier-a",
            "processor-b",
            "scheduler-b",
            "api-b",
            "notifier-b",
        ]
    )
    [frontend_env] = [env for name, _, env in children(settings) if name == "frontend"]
    assert frontend_env["VIGIL_API_URL"] == a.api_url
