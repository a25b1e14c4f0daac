"""Cells that can prove custom domains: two cell APIs behind one directory, resolving through
a DNS server of the test's own on loopback whose zone the tests fill."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.directory import Directory
from tests.api.cells import CellApi, owner_in, two_cells
from tests.dnspeer import Zone, dns_server

PAGES = "/api/v1/status-pages"
LOOKUP = "/api/v1/public/domains/"
DNS_TIMEOUT_S = 0.5  # a resolver that never answers costs a test this much


@dataclass
class Proving:
    directory: Directory
    a: CellApi
    b: CellApi
    zone: Zone
    silent: set[str] = field(default_factory=set)
    broken: set[str] = field(default_factory=set)

    async def account(self, cell: CellApi | None = None) -> dict[str, str]:
        """A new account placed in this cell (a by default), logged in: its headers."""
        cell = cell or self.a
        other = self.b if cell is self.a else self.a
        await self.directory.set_open(cell.name, True)
        await self.directory.set_open(other.name, False)  # sign-up then goes to `cell`
        try:
            return await owner_in(cell)
        finally:
            await self.directory.set_open(other.name, True)

    def publish(self, domain: str, *values: str) -> None:
        """TXT records at the domain's challenge name (text form: quoted strings)."""
        self.zone[(f"_vigil-challenge.{domain}.", "TXT")] = list(values)

    def move_clock(self, by: timedelta) -> None:
        """Both cells' clocks, `by` ahead of the real time from now on."""
        for cell in (self.a, self.b):
            cell.app.state.clock = lambda: datetime.now(UTC) + by


@asynccontextmanager
async def proving(directory_url: str, a_url: str, b_url: str) -> AsyncIterator[Proving]:
    zone: Zone = {}
    silent: set[str] = set()
    broken: set[str] = set()
    async with (
        dns_server(zone, silent, broken) as port,
        two_cells(
            directory_url,
            a_url,
            b_url,
            capacity_a=100_000,
            capacity_b=100_000,
            VIGIL_DOMAIN_DNS_SERVERS=f"127.0.0.1:{port}",
            VIGIL_DOMAIN_DNS_TIMEOUT=str(DNS_TIMEOUT_S),
        ) as (directory, a, b),
    ):
        yield Proving(directory, a, b, zone, silent, broken)


def domain() -> str:
    return f"status-{uuid.uuid4().hex[:10]}.example.com"


async def new_page(cell: CellApi, auth: dict[str, str], **fields: Any) -> dict[str, Any]:
    made = await cell.client.post(
        PAGES,
        headers=auth,
        json={"slug": f"page-{uuid.uuid4().hex[:12]}", "title": "Status", **fields},
    )
    assert made.status_code == 201, made.text
    return made.json()


async def verify(cell: CellApi, auth: dict[str, str], page_id: int) -> httpx.Response:
    return await cell.client.post(f"{PAGES}/{page_id}/domain/verify", headers=auth)


async def prove(
    proof: Proving, cell: CellApi, auth: dict[str, str], page: dict[str, Any]
) -> dict[str, Any]:
    """Publishes the page's record and verifies it: the page as the API then shows it."""
    check = page["domain_verification"]
    proof.publish(page["custom_domain"], f'"{check["value"]}"')
    done = await verify(cell, auth, page["id"])
    assert done.status_code == 200, done.text
    assert done.json()["domain_verification"]["status"] == "verified"
    return done.json()


async def lookup(client: httpx.AsyncClient, host: str) -> httpx.Response:
    return await client.get(LOOKUP + host)
