"""The fault suite's own PostgreSQL and RabbitMQ (started once for the session, restarted by
the tests at will), and a fresh cell under load per test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import cluster
from tests.faults.cell import FaultCell
from tests.faults.services import OwnPostgres, OwnRabbit


@pytest.fixture(scope="session")
def own_services() -> Iterator[tuple[OwnPostgres, OwnRabbit]]:
    reason = cluster.available()
    if reason:
        pytest.skip(reason)
    pg = OwnPostgres()
    mq = OwnRabbit()
    try:
        pg.init()
        mq.start()
        yield pg, mq
    finally:
        mq.destroy()
        pg.destroy()


@pytest.fixture
def cell(own_services: tuple[OwnPostgres, OwnRabbit], tmp_path: Path) -> Iterator[FaultCell]:
    pg, mq = own_services
    c = FaultCell(pg, mq, tmp_path)
    try:
        c.start()
        yield c
    finally:
        c.close()


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Iterator[dict[str, object]]:
    """Figures a test measured: printed (`pytest -s` shows them) and attached to the test's
    report (`--junitxml`); docs/RELIABILITY.md quotes them."""
    figures: dict[str, object] = {"test": request.node.name}
    yield figures
    line = json.dumps(figures)
    print(line)
    request.node.user_properties.append(("figures", line))
