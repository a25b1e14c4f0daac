"""`vigil region add|list|remove`: run on the centre to wire remote regions (ops/regions.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any

from ops import regions
from shared.config import ConfigError, Settings
from shared.rabbitmq_admin import AdminError


def add_parser(sub: Any) -> None:
    r = sub.add_parser("region", help="wire remote regions to this centre with shovels")
    rsub = r.add_subparsers(dest="region_command", required=True)
    a = rsub.add_parser("add", help="add a region (or bring it back in line); safe to repeat")
    a.add_argument("region_name", metavar="NAME")
    a.add_argument(
        "--amqp-url-env",
        required=True,
        metavar="VAR",
        help="variable holding the centre's AMQP URL as the region's shovels dial it"
        " (or VAR_FILE naming a file with it)",
    )
    a.add_argument(
        "--management-url-env",
        required=True,
        metavar="VAR",
        help="variable holding the region broker's management API URL,"
        " http://user:password@host:15672 (or VAR_FILE)",
    )
    a.add_argument("--vhost", default="/", help="the region broker's vhost (default /)")
    a.add_argument(
        "--buffer-bytes",
        type=int,
        default=None,
        help="bytes the region may buffer while cut off (default VIGIL_REGION_BUFFER_BYTES)",
    )
    a.add_argument("--reconnect-delay", type=int, default=5, metavar="SECONDS")
    ls = rsub.add_parser("list", help="each region, its shovels, nodes and queue depths")
    ls.add_argument("--json", action="store_true", help="one JSON document")
    rm = rsub.add_parser("remove", help="remove a region's shovels and queues")
    rm.add_argument("region_name", metavar="NAME")
    r.set_defaults(run=run, component="region")


def run(settings: Settings, args: argparse.Namespace) -> None:
    try:
        code = asyncio.run(_COMMANDS[args.region_command](settings, args))
    except (ConfigError, AdminError) as exc:
        print(f"vigil region: {exc}", file=sys.stderr)
        code = 1
    sys.exit(code)


async def _add(settings: Settings, args: argparse.Namespace) -> int:
    if args.buffer_bytes is not None and args.buffer_bytes < 1 << 20:
        raise ConfigError("--buffer-bytes: at least 1 MiB")
    region = regions.Region(
        name=args.region_name,
        management_url_env=args.management_url_env,
        centre_url_env=args.amqp_url_env,
        vhost=args.vhost,
        buffer_bytes=args.buffer_bytes or settings.region_buffer_bytes,
        reconnect_delay_s=args.reconnect_delay,
    )
    await regions.add(settings, region, os.environ)
    print(
        f"region {region.name}: shovels {', '.join(regions.shovels(region, 'amqp://'))} set;"
        f" start its executors with VIGIL_REGION={region.name}"
    )
    return 0


async def _remove(settings: Settings, args: argparse.Namespace) -> int:
    for warning in await regions.remove(settings, args.region_name, os.environ):
        print(f"warning: {warning}", file=sys.stderr)
    print(f"region {args.region_name} removed")
    return 0


async def _list(settings: Settings, args: argparse.Namespace) -> int:
    found = await regions.status(settings, os.environ)
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    if not found:
        print(f"no regions in {settings.regions_file}")
    for r in found:
        print(f"{r['region']}  (vhost {r['vhost']}, waiting at the centre: {r['centre_queue']})")
        if "error" in r:
            print(f"  unreachable: {r['error']}")
        else:
            print("  shovels: " + ", ".join(f"{n} {s}" for n, s in r["shovels"].items()))
            print(f"  uplink: {r['uplink']['messages']} messages, {r['uplink']['bytes']} bytes")
        for n in r["nodes"] or [{"node": "(no node has been heard from)"}]:
            extra = (
                (
                    f" v{n['version']}, {n['tests_held']} tests, backlog {n['backlog']},"
                    f" last heartbeat {n['last_heartbeat']}"
                )
                if "version" in n
                else ""
            )
            print(f"  node {n['node']}{extra}")
    return 0


_COMMANDS = {"add": _add, "list": _list, "remove": _remove}
