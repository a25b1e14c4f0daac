"""A ping that reaches another cell's API is sent on with a 307 through the directory, and is
stored by the cell that holds the test."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import pytest

from result_processor.service import serve
from tests.api.cells import owner_in, two_cells
from tests.api.helpers import settings
from tests.helpers import eventually

pytestmark = pytest.mark.integration


async def test_a_ping_at_the_other_cell_lands_in_the_right_cell(
    directory_url: str, database_url: str, other_cell_url: str, amqp_url: str
) -> None:
    async with two_cells(
        directory_url, database_url, other_cell_url, capacity_a=0, VIGIL_AMQP_URL=amqp_url
    ) as (_, a, b):  # accounts go to b
        auth = await owner_in(b)
        made = await b.client.post(
            "/api/v1/monitors",
            headers=auth,
            json={"name": "backup", "tests": [{"kind": "heartbeat", "interval_s": 600}]},
        )
        assert made.status_code == 201, made.text
        test = made.json()["tests"][0]
        assert test["ping_url"].startswith(b.url + "/ping/")
        path = test["ping_url"].removeprefix(b.url) + "/3?rid=run-7"

        sent = await a.client.post(path, content=b"exit 3")
        assert sent.status_code == 307
        assert sent.headers["location"] == b.url + path
        assert (await a.client.get("/ping/NoSuchTokenAnywhere000")).status_code == 404

        stop = asyncio.Event()
        processor = asyncio.create_task(
            serve(settings(b.database_url, VIGIL_CELL=b.name, VIGIL_AMQP_URL=amqp_url), stop)
        )
        try:
            followed = await b.client.post(sent.headers["location"], content=b"exit 3")
            assert followed.status_code == 200 and followed.text == "OK"
            conn = await asyncpg.connect(b.database_url)
            try:
                row = await eventually(
                    lambda: conn.fetchrow(
                        "SELECT status, error_kind FROM results_week WHERE test_id = $1", test["id"]
                    ),
                    "the ping stored in cell b",
                )
            finally:
                await conn.close()
            assert (row["status"], row["error_kind"]) == (0, "exit_status")
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(processor, 30)
