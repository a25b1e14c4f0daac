"""`vigil quota EMAIL [--max-tests N] [--min-interval S] [--reset]`: the operator sets an
account's own quota in its cell's database (VIGIL_DATABASE_URL). Without options, it
prints the account's quota; NULL columns mean the cell's defaults (VIGIL_MAX_TESTS,
VIGIL_MIN_INTERVAL)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from shared.config import Settings


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    quota = sub.add_parser("quota", help="show or set an account's quota of tests")
    quota.add_argument("email", help="the account owner's email")
    quota.add_argument("--max-tests", type=int, help="tests the account may have")
    quota.add_argument("--min-interval", type=int, help="shortest interval, in seconds")
    quota.add_argument("--reset", action="store_true", help="back to the cell's defaults")
    return quota


def run(settings: Settings, args: argparse.Namespace) -> int:
    for value, name in ((args.max_tests, "--max-tests"), (args.min_interval, "--min-interval")):
        if value is not None and not 1 <= value <= 1_000_000:
            print(f"vigil quota: {name} must be between 1 and 1000000", file=sys.stderr)
            return 2
    return asyncio.run(_run(settings, args))


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy import select, update

    from shared import db
    from shared.tables import accounts

    changes: dict[str, int | None] = {}
    if args.reset:
        changes = {"max_tests": None, "min_interval_s": None}
    if args.max_tests is not None:
        changes["max_tests"] = args.max_tests
    if args.min_interval is not None:
        changes["min_interval_s"] = args.min_interval
    owner = (accounts.c.email == args.email.lower()) & accounts.c.owner_id.is_(None)
    engine = db.engine(settings.database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            if changes:
                await conn.execute(update(accounts).where(owner).values(**changes))
            row = (
                await conn.execute(
                    select(accounts.c.max_tests, accounts.c.min_interval_s).where(owner)
                )
            ).first()
    finally:
        await engine.dispose()
    if row is None:
        print(f"vigil quota: no account owned by {args.email} in this cell", file=sys.stderr)
        return 1
    max_tests = row.max_tests if row.max_tests is not None else settings.max_tests
    interval = row.min_interval_s if row.min_interval_s is not None else settings.min_interval_s
    print(f"{args.email}: at most {max_tests} tests, every {interval} s at the most often")
    return 0
