"""`vigil apply`, `vigil export`, `vigil import`: thin wiring over the modules."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ascode import apply, importers, loader, plan, preflight, render, validate
from ascode.client import Api, ApiError, api_key
from shared import ascode_export as export
from shared import ascode_state as state
from shared.ascode_format import SCHEMA_PATH

DEFAULT_URL = "http://127.0.0.1:8100"


def _connect(args: argparse.Namespace) -> Api:
    return Api.connect(args.api_url, api_key(args.api_key_file))


def run_apply(args: argparse.Namespace) -> int:
    docs = [loader.read(p) for p in loader.files(Path(args.file))]
    desired = validate.check(docs, args.allow_inline_secrets)
    api = _connect(args)
    account = state.read(api)
    steps = plan.plan(desired, account, args.prune)
    print(render.plan(steps))
    preflight.check(api, steps, account)  # what the API would refuse, before any change
    if args.dry_run or not steps:
        return 0
    result = apply.run(api, steps, account)
    print(render.outcome(result, len(steps)))
    return 0 if result.failed is None else 1


def run_export(args: argparse.Namespace) -> int:
    api = _connect(args)
    text = export.dump(export.document(state.read(api)), args.api_url.rstrip("/") + SCHEMA_PATH)
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


def run_import(args: argparse.Namespace) -> int:
    source = Path(args.source)
    pages = [Path(p) for p in args.status_page or []]
    doc, skipped = importers.run(args.peer, source, args.inline_secrets, pages)
    text = export.dump(doc, args.api_url.rstrip("/") + SCHEMA_PATH)
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    for line in skipped:
        print(f"not carried over: {line}", file=sys.stderr)
    print(
        f"{len(skipped)} item(s) not carried over; review the file, then vigil apply -f it",
        file=sys.stderr,
    )
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--api-url",
        default=os.environ.get("VIGIL_API_URL", DEFAULT_URL),
        help="the cell's API (default: VIGIL_API_URL or %(default)s)",
    )
    p.add_argument("--api-key-file", help="a file holding the API key (else VIGIL_API_KEY)")


def add_parsers(sub: Any) -> list[argparse.ArgumentParser]:
    a = sub.add_parser("apply", help="make the account match YAML files (monitors as code)")
    a.add_argument("-f", "--file", required=True, help="a YAML file or a folder of them")
    a.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    a.add_argument(
        "--prune",
        action="store_true",
        help="delete objects apply created that the files no longer name",
    )
    a.add_argument(
        "--allow-inline-secrets",
        action="store_true",
        help="accept secrets written in clear in the files",
    )
    _common(a)
    a.set_defaults(ascode=run_apply)
    e = sub.add_parser("export", help="write the account's objects as YAML for apply")
    e.add_argument("-o", "--output", help="file to write (default: standard output)")
    _common(e)
    e.set_defaults(ascode=run_export)
    i = sub.add_parser(
        "import", help="turn an Uptime Kuma backup or a Gatus config into YAML for apply"
    )
    i.add_argument("peer", choices=sorted(importers.PEERS))
    i.add_argument("source", help="the backup (JSON) or the config (YAML)")
    i.add_argument(
        "--status-page",
        action="append",
        metavar="PAGE.json",
        help=(
            "uptime-kuma: a status page as Kuma answers GET /api/status-page/<slug> (its backup "
            "has none); once per page"
        ),
    )
    i.add_argument("-o", "--output", help="file to write (default: standard output)")
    i.add_argument(
        "--inline-secrets",
        action="store_true",
        help="write the source's secrets "
        "in clear (apply then needs --allow-inline-secrets), not as references",
    )
    _common(i)
    i.set_defaults(ascode=run_import)
    return [a, e, i]


def main(args: argparse.Namespace) -> int:
    """Runs the command; an error the user can fix is one message and exit status 2."""
    try:
        return int(args.ascode(args))
    except (loader.FileError, ValueError, OSError) as exc:
        print(f"vigil {args.command}: {exc}", file=sys.stderr)
        return 2
    except ApiError as exc:
        print(f"vigil {args.command}: the API refused: {exc}", file=sys.stderr)
        return 1
