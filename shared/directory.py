"""The directory's operations: where an account, a log-in, a status page or a custom domain
lives, where a new account goes, and the operator's view of the cells.

Used by every cell's API (placement at sign-up, log-in look-ups, slugs, domains) and by the
operator's `vigil cells` commands. The placement policy is a pure function.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.directory_tables import accounts, cells, domains, logins, ping_tokens, slugs


class Taken(Exception):
    """The email (or slug) is already in the directory."""


class NoRoom(Exception):
    """No open cell takes new accounts."""


@dataclass(frozen=True)
class Cell:
    name: str
    api_url: str
    database_url: str
    capacity: int
    open: bool
    load: int = 0  # accounts placed in it
    ping_url: str = ""  # the public base of its ping URLs; empty: api_url

    @property
    def ping_base(self) -> str:
        return self.ping_url or self.api_url


@dataclass(frozen=True)
class DomainClaim:
    """An account's hold on a custom domain, and whether it proved owning it."""

    domain: str
    account: str
    token: str
    claimed_at: datetime
    verified_at: datetime | None


def new_token() -> str:
    """128 random bits, in the 32 hex digits the migration's default also makes."""
    return secrets.token_hex(16)


def choose_cell(candidates: Sequence[Cell]) -> Cell | None:
    """Fill each open cell to its capacity, in name order, then the next one.

    When every open cell is full, the open cell with the most room left (the least
    over capacity) takes it, so sign-up never stops while a cell is open; the operator
    sees it in `vigil cells list` and adds a cell.
    """
    open_cells = sorted((c for c in candidates if c.open), key=lambda c: c.name)
    for cell in open_cells:
        if cell.load < cell.capacity:
            return cell
    return max(open_cells, key=lambda c: c.capacity - c.load, default=None)


_LOAD = (
    select(cells, func.count(accounts.c.email).label("load"))
    .outerjoin(accounts, accounts.c.cell == cells.c.name)
    .group_by(cells.c.name)
    .order_by(cells.c.name)
)


def _cell(row: object) -> Cell:
    m = row._mapping  # type: ignore[attr-defined]  # a Row
    return Cell(
        m["name"],
        m["api_url"],
        m["database_url"],
        m["capacity"],
        m["open"],
        m.get("load", 0),
        m.get("ping_url") or "",
    )


class Directory:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def cells(self) -> list[Cell]:
        async with self.engine.connect() as conn:
            return [_cell(row) for row in (await conn.execute(_LOAD)).all()]

    async def cell(self, name: str) -> Cell | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(cells).where(cells.c.name == name))).first()
        return None if row is None else _cell(row)

    async def place(self, email: str, here: str) -> Cell:
        """Where a new account of this email goes; recorded only when it is `here`.

        Raises Taken if the email has a log-in anywhere, NoRoom if no cell is open.
        """
        async with self.engine.begin() as conn:
            # One sign-up at a time decides: the counts cannot go stale under us.
            await conn.execute(select(cells.c.name).with_for_update())
            if await _login_cell(conn, email) is not None:
                raise Taken(email)
            chosen = choose_cell([_cell(r) for r in (await conn.execute(_LOAD)).all()])
            if chosen is None:
                raise NoRoom()
            if chosen.name == here:
                await conn.execute(insert(accounts).values(email=email, cell=here))
                await conn.execute(insert(logins).values(email=email, account=email))
            return chosen

    async def record(self, email: str, here: str) -> None:
        """A new account of this email in cell `here`, as a followed sign-up link names it
        (the link was sent from here). Raises Taken if the email has a log-in anywhere."""
        async with self.engine.begin() as conn:
            await conn.execute(select(cells.c.name).with_for_update())
            if await _login_cell(conn, email) is not None:
                raise Taken(email)
            await conn.execute(insert(accounts).values(email=email, cell=here))
            await conn.execute(insert(logins).values(email=email, account=email))

    async def locate(self, email: str) -> Cell | None:
        async with self.engine.connect() as conn:
            return await _login_cell(conn, email)

    async def add_login(self, email: str, account_email: str) -> None:
        """A team member's log-in, in its account's cell. Raises Taken."""
        query = (
            pg_insert(logins).values(email=email, account=account_email).on_conflict_do_nothing()
        )
        async with self.engine.begin() as conn:
            if (await conn.execute(query)).rowcount == 0:
                raise Taken(email)

    async def forget(self, email: str) -> None:
        """Remove a log-in, or an account (with its log-ins, slugs and domains) if it is one."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(accounts).where(accounts.c.email == email))
            await conn.execute(delete(logins).where(logins.c.email == email))

    async def claim_slug(self, slug: str, account_email: str) -> bool:
        """Raises Taken if another account (in any cell) has the slug; True if newly held."""
        return await self._claim(slugs, slug, account_email)

    async def release_slug(self, slug: str) -> None:
        await self._release(slugs, slug)

    async def locate_slug(self, slug: str) -> Cell | None:
        return await self._locate(slugs, slug)

    async def claim_domain(
        self, domain: str, account_email: str, now: datetime, lapse: timedelta
    ) -> bool:
        """Raises Taken if another account (in any cell) holds the custom domain; True if newly
        held, with a new token to prove it by.

        An unverified claim older than `lapse` blocks no one: another account takes it over
        (new token, unverified), so a squatted name frees itself.
        """
        new = {
            "domain": domain,
            "account": account_email,
            "token": new_token(),
            "claimed_at": now,
            "verified_at": None,
        }
        query = pg_insert(domains).values(new)
        query = query.on_conflict_do_update(
            index_elements=[domains.c.domain],
            set_={k: query.excluded[k] for k in ("account", "token", "claimed_at", "verified_at")},
            where=(
                domains.c.verified_at.is_(None)
                & (domains.c.claimed_at < now - lapse)
                & (domains.c.account != query.excluded.account)
            ),
        )
        async with self.engine.begin() as conn:
            if (await conn.execute(query)).rowcount == 1:
                return True
            owner = await conn.scalar(select(domains.c.account).where(domains.c.domain == domain))
        if owner != account_email:
            raise Taken(domain)
        return False

    async def release_domain(self, domain: str, account_email: str) -> None:
        """Give the domain back, if this account still holds it (it may have lapsed to
        another)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(domains).where(
                    domains.c.domain == domain, domains.c.account == account_email
                )
            )

    async def domain_claims(self, names: Sequence[str]) -> dict[str, DomainClaim]:
        """The claims on these domains, by domain (those nobody holds left out)."""
        if not names:
            return {}
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(domains).where(domains.c.domain.in_(names)))).all()
        return {row.domain: DomainClaim(**row._mapping) for row in rows}

    async def mark_verified(self, claim: DomainClaim, now: datetime) -> bool:
        """Record the proof of this very claim; False if it changed meanwhile (released,
        taken over). A second proof keeps the first time."""
        query = (
            update(domains)
            .where(
                domains.c.domain == claim.domain,
                domains.c.account == claim.account,
                domains.c.token == claim.token,
            )
            .values(verified_at=func.coalesce(domains.c.verified_at, now))
        )
        async with self.engine.begin() as conn:
            return (await conn.execute(query)).rowcount == 1

    async def cell_for_domain(self, domain: str) -> Cell | None:
        """The cell of the account holding this host name, if any."""
        return await self._locate(domains, domain)

    async def claim_ping_token(self, token_hash: str, account_email: str) -> None:
        """Note a heartbeat test's ping token (its hash) as this account's."""
        await self._claim(ping_tokens, token_hash, account_email)

    async def release_ping_token(self, token_hash: str) -> None:
        await self._release(ping_tokens, token_hash)

    async def cell_for_ping_token(self, token_hash: str) -> Cell | None:
        return await self._locate(ping_tokens, token_hash)

    # Slugs, domains and ping tokens are names an account holds, found through its cell.
    async def _claim(self, table: Table, name: str, account_email: str) -> bool:
        key = table.primary_key.columns[0]
        query = (
            pg_insert(table)
            .values({key.name: name, "account": account_email})
            .on_conflict_do_nothing()
        )
        async with self.engine.begin() as conn:
            if (await conn.execute(query)).rowcount == 1:
                return True
            owner = await conn.scalar(select(table.c.account).where(key == name))
        if owner != account_email:
            raise Taken(name)
        return False  # the account holds it already (another of its pages, or a retry)

    async def _release(self, table: Table, name: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(delete(table).where(table.primary_key.columns[0] == name))

    async def _locate(self, table: Table, name: str) -> Cell | None:
        query = (
            select(cells)
            .join(accounts, accounts.c.cell == cells.c.name)
            .join(table, table.c.account == accounts.c.email)
            .where(table.primary_key.columns[0] == name)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _cell(row)

    async def add_cell(
        self, name: str, api_url: str, database_url: str, capacity: int, ping_url: str | None = None
    ) -> None:
        """Add a cell, or update its URLs and capacity if it exists."""
        values = {
            "api_url": api_url,
            "database_url": database_url,
            "capacity": capacity,
            "ping_url": ping_url,
        }
        query = (
            pg_insert(cells)
            .values(name=name, **values)
            .on_conflict_do_update(index_elements=[cells.c.name], set_=values)
        )
        async with self.engine.begin() as conn:
            await conn.execute(query)

    async def set_open(self, name: str, is_open: bool) -> bool:
        """Open or close a cell to new accounts; False if there is no such cell."""
        async with self.engine.begin() as conn:
            done = await conn.execute(
                update(cells).where(cells.c.name == name).values(open=is_open)
            )
        return done.rowcount == 1

    async def switch(self, account_email: str, cell: str) -> None:
        """From now on the account, its log-ins and its slugs are found in `cell`."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(accounts).where(accounts.c.email == account_email).values(cell=cell)
            )

    async def account_of(self, email: str) -> str | None:
        """The owner's email of the account this log-in belongs to."""
        async with self.engine.connect() as conn:
            return await conn.scalar(select(logins.c.account).where(logins.c.email == email))


async def _login_cell(conn: AsyncConnection, email: str) -> Cell | None:
    query = (
        select(cells)
        .join(accounts, accounts.c.cell == cells.c.name)
        .join(logins, logins.c.account == accounts.c.email)
        .where(logins.c.email == email)
    )
    row = (await conn.execute(query)).first()
    return None if row is None else _cell(row)
