"""`vigil cells ...`: the operator's view of the cells behind the directory.

vigil cells list                           each cell with its load and capacity
vigil cells add NAME --api-url U --database-url D [--capacity N] [--ping-url P]
vigil cells close NAME / vigil cells open NAME     stop / resume placing new accounts
vigil cells move EMAIL --to NAME [--settle S]      move an account with its history
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from shared.config import Settings

if TYPE_CHECKING:  # imported when a command runs, so `vigil --help` stays light
    from shared.directory import Directory

DEFAULT_CAPACITY = 500  # the seed design put its first 500 users on instance one


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    cells = sub.add_parser("cells", help="list, add, open, close cells; move accounts")
    actions = cells.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="each cell with its load")
    add = actions.add_parser("add", help="add a cell, or change its URLs and capacity")
    add.add_argument("name")
    add.add_argument("--api-url", required=True)
    add.add_argument("--database-url", required=True)
    add.add_argument("--capacity", type=int, default=DEFAULT_CAPACITY)
    add.add_argument(
        "--ping-url",
        default=None,
        help="the cell's public base of ping URLs (its VIGIL_PING_URL), where "
        "other cells send pings of its heartbeat tests; default: --api-url",
    )
    for action in ("open", "close"):
        actions.add_parser(action, help=f"{action} a cell to new accounts").add_argument("name")
    move = actions.add_parser("move", help="move an account and its history to another cell")
    move.add_argument("email")
    move.add_argument("--to", required=True, dest="target")
    move.add_argument(
        "--settle",
        type=float,
        default=10.0,
        help="seconds without a new result before the last copy (default 10)",
    )
    return cells


def run(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.directory_url:
        print("vigil cells: set VIGIL_DIRECTORY_URL to the directory database", file=sys.stderr)
        return 2
    return asyncio.run(_run(settings.directory_url, args))


async def _run(directory_url: str, args: argparse.Namespace) -> int:
    from shared import db
    from shared.directory import Directory

    engine = db.engine(directory_url, pool_size=1)
    try:
        return await ACTIONS[args.action](Directory(engine), args)
    finally:
        await engine.dispose()


async def _list(directory: Directory, args: argparse.Namespace) -> int:
    print(f"{'cell':<12} {'state':<7} {'accounts':>9} {'capacity':>9}  api")
    for cell in await directory.cells():
        state = "open" if cell.open else "closed"
        print(f"{cell.name:<12} {state:<7} {cell.load:>9} {cell.capacity:>9}  {cell.api_url}")
    return 0


async def _add(directory: Directory, args: argparse.Namespace) -> int:
    await directory.add_cell(
        args.name,
        args.api_url.rstrip("/"),
        args.database_url,
        args.capacity,
        args.ping_url and args.ping_url.rstrip("/"),
    )
    return 0


async def _set_open(directory: Directory, args: argparse.Namespace) -> int:
    if not await directory.set_open(args.name, args.action == "open"):
        print(f"vigil cells: no cell named {args.name!r}", file=sys.stderr)
        return 1
    return 0


async def _move(directory: Directory, args: argparse.Namespace) -> int:
    from ops.account_move import MoveError, move_account

    try:
        report = await move_account(directory, args.email, args.target, args.settle)
    except MoveError as exc:
        print(f"vigil cells move: {exc}", file=sys.stderr)
        return 1
    print(
        f"moved {report.account} from {report.source} to {report.target}: "
        f"{sum(report.rows.values())} rows, {report.results} results "
        f"(+{report.late_results} that arrived during the move; {report.overlap} redundant "
        "checks of the hand-over dropped)"
    )
    return 0


ACTIONS = {"list": _list, "add": _add, "open": _set_open, "close": _set_open, "move": _move}
