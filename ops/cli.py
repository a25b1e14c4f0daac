"""The `vigil` command: thin wiring from a sub-command to the component that runs it.

Components are imported only when their command runs, so `vigil migrate` does not load
FastAPI and an executor does not load Flask.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable

from shared import log as vlog
from shared import runtime
from shared.config import ConfigError, Settings


def _migrate(settings: Settings, args: argparse.Namespace) -> None:
    from ops.migrate import upgrade, upgrade_directory

    if args.directory and not settings.directory_url:
        print("vigil migrate: --directory needs VIGIL_DIRECTORY_URL", file=sys.stderr)
        sys.exit(2)
    if not args.directory:
        upgrade(settings.database_url, args.revision)
    if settings.directory_url:
        upgrade_directory(settings.directory_url, "head" if not args.directory
                          else args.revision)


def _cells(settings: Settings, args: argparse.Namespace) -> None:
    from ops import cells as cells_cli

    sys.exit(cells_cli.run(settings, args))


def _quota(settings: Settings, args: argparse.Namespace) -> None:
    from ops import quota as quota_cli

    sys.exit(quota_cli.run(settings, args))


def _async_service(module: str) -> Callable[[Settings, argparse.Namespace], None]:
    def start(settings: Settings, args: argparse.Namespace) -> None:
        serve = importlib.import_module(module).serve
        extra = {"region": settings.region} if args.component == "executor" else {}
        runtime.run(lambda stop: serve(settings, stop=stop, **extra), settings.metrics_port)

    return start


def _web(module: str) -> Callable[[Settings, argparse.Namespace], None]:
    def start(settings: Settings, args: argparse.Namespace) -> None:
        importlib.import_module(module).run(settings)

    return start


def _stack(settings: Settings, args: argparse.Namespace) -> None:
    from ops.stack import run_stack

    sys.exit(run_stack(settings))


def _bench(settings: Settings, args: argparse.Namespace) -> None:
    from benchmark.runner import run_bench

    sys.exit(run_bench(args.name, settings))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vigil", description="Vigil uptime monitoring")
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("migrate", help="migrate the cell database (and the directory, when "
                       "VIGIL_DIRECTORY_URL is set) to the newest schema")
    m.add_argument("--revision", default="head")
    m.add_argument("--directory", action="store_true",
                   help="migrate only the directory database (VIGIL_DIRECTORY_URL)")
    m.set_defaults(run=_migrate, component="migrate")
    sub.add_parser("scheduler", help="run the cell's scheduler").set_defaults(
        run=_async_service("scheduler.service"), component="scheduler")
    e = sub.add_parser("executor", help="run an executor in a region")
    e.add_argument("--region", help="region to serve (default: VIGIL_REGION)")
    e.set_defaults(run=_async_service("executor.service"), component="executor")
    sub.add_parser("processor", help="run the cell's result processor").set_defaults(
        run=_async_service("result_processor.service"), component="processor")
    sub.add_parser("notifier", help="run the cell's notifier").set_defaults(
        run=_async_service("notifier.service"), component="notifier")
    sub.add_parser("api", help="run the REST API of the cell").set_defaults(
        run=_web("api.main"), component="api")
    sub.add_parser("frontend", help="run the web frontend").set_defaults(
        run=_web("frontend.main"), component="frontend")
    sub.add_parser("stack", help="run every component locally (make run)").set_defaults(
        run=_stack, component="stack")
    from ops import region as region_cli

    region_cli.add_parser(sub)

    from ops.cells import add_parser as add_cells_parser
    from ops.quota import add_parser as add_quota_parser

    add_cells_parser(sub).set_defaults(run=_cells, component="cells")
    add_quota_parser(sub).set_defaults(run=_quota, component="quota")
    b = sub.add_parser("bench", help="run a benchmark; prints JSON lines")
    b.add_argument("name")
    b.set_defaults(run=_bench, component="bench")
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    env = dict(os.environ)
    if getattr(args, "region", None):
        env["VIGIL_REGION"] = args.region  # validated like the variable it overrides
    try:
        settings = Settings.from_env(env)
    except ConfigError as exc:
        print(f"vigil: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    vlog.setup(args.component, settings.log_level, settings.log_format)
    if args.component != "region":  # an operator's command, not a service: no start-up line
        logging.getLogger("vigil").info("starting", extra={"settings": settings.public()})
    try:
        args.run(settings, args)
    except KeyboardInterrupt:
        pass  # Ctrl-C or SIGTERM: the component has cleaned up on its way out


if __name__ == "__main__":
    main()
