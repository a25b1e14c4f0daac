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

from ops import health_probe
from shared import health, runtime
from shared import log as vlog
from shared.config import ConfigError, Settings


def _migrate(settings: Settings, args: argparse.Namespace) -> None:
    from ops.migrate import upgrade, upgrade_directory

    if args.directory and not settings.directory_url:
        print("vigil migrate: --directory needs VIGIL_DIRECTORY_URL", file=sys.stderr)
        sys.exit(2)
    if not args.directory:
        upgrade(settings.database_url, args.revision)
    if settings.directory_url:
        upgrade_directory(settings.directory_url, "head" if not args.directory else args.revision)


def _cells(settings: Settings, args: argparse.Namespace) -> None:
    from ops import cells as cells_cli

    sys.exit(cells_cli.run(settings, args))


def _quota(settings: Settings, args: argparse.Namespace) -> None:
    from ops import quota as quota_cli

    sys.exit(quota_cli.run(settings, args))


def _queues(settings: Settings, args: argparse.Namespace) -> None:
    from ops import queues as queues_cli

    sys.exit(queues_cli.run(settings, args))


def _async_service(module: str) -> Callable[[Settings, argparse.Namespace], None]:
    def start(settings: Settings, args: argparse.Namespace) -> None:
        serve = importlib.import_module(module).serve
        extra = {"region": settings.region} if args.component == "executor" else {}
        runtime.run(
            lambda stop: serve(settings, stop=stop, **extra),
            side_port(settings, args.component),
            settings.metrics_host,
        )

    return start


def side_port(settings: Settings, component: str) -> int:
    """VIGIL_METRICS_PORT if set (0: none), else the component's default port."""
    if settings.metrics_port is not None:
        return settings.metrics_port
    return health.DEFAULT_PORTS[component]


def _health(settings: Settings, args: argparse.Namespace) -> None:
    port = side_port(settings, args.target)
    sys.exit(health_probe.check(settings.metrics_host, port, live=args.live))


def _web(module: str) -> Callable[[Settings, argparse.Namespace], None]:
    def start(settings: Settings, args: argparse.Namespace) -> None:
        importlib.import_module(module).run(settings)

    return start


def _stack(settings: Settings, args: argparse.Namespace) -> None:
    from ops.stack import run_stack

    sys.exit(run_stack(settings))


def _config(settings: Settings, args: argparse.Namespace) -> None:
    from ops.configdoc import markdown

    sys.stdout.write(markdown())


def _ascode(settings: Settings, args: argparse.Namespace) -> None:
    from ascode.cli import main as ascode_main

    sys.exit(ascode_main(args))


def _bench(settings: Settings, args: argparse.Namespace) -> None:
    from benchmark.runner import run_bench

    options = {
        "tests": args.tests,
        "mix": args.mix,
        "window": args.window,
        "executors": args.executors,
    }
    sys.exit(run_bench(args.name, settings, options))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vigil", description="Vigil uptime monitoring")
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser(
        "migrate",
        help="migrate the cell database (and the directory, when "
        "VIGIL_DIRECTORY_URL is set) to the newest schema",
    )
    m.add_argument("--revision", default="head")
    m.add_argument(
        "--directory",
        action="store_true",
        help="migrate only the directory database (VIGIL_DIRECTORY_URL)",
    )
    m.set_defaults(run=_migrate, component="migrate")
    sub.add_parser("scheduler", help="run the cell's scheduler").set_defaults(
        run=_async_service("scheduler.service"), component="scheduler"
    )
    e = sub.add_parser("executor", help="run an executor in a region")
    e.add_argument("--region", help="region to serve (default: VIGIL_REGION)")
    e.set_defaults(run=_async_service("executor.service"), component="executor")
    sub.add_parser("processor", help="run the cell's result processor").set_defaults(
        run=_async_service("result_processor.service"), component="processor"
    )
    sub.add_parser("notifier", help="run the cell's notifier").set_defaults(
        run=_async_service("notifier.service"), component="notifier"
    )
    sub.add_parser("api", help="run the REST API of the cell").set_defaults(
        run=_web("api.main"), component="api"
    )
    sub.add_parser("frontend", help="run the web frontend").set_defaults(
        run=_web("frontend.main"), component="frontend"
    )
    sub.add_parser("stack", help="run every component locally (make run)").set_defaults(
        run=_stack, component="stack"
    )
    from ops import region as region_cli

    region_cli.add_parser(sub)

    from ops.cells import add_parser as add_cells_parser
    from ops.quota import add_parser as add_quota_parser

    add_cells_parser(sub).set_defaults(run=_cells, component="cells")
    add_quota_parser(sub).set_defaults(run=_quota, component="quota")
    from ops.queues import add_parser as add_queues_parser

    add_queues_parser(sub).set_defaults(run=_queues, component="queues")
    c = sub.add_parser(
        "config", help="the configuration: `vigil config docs` prints docs/CONFIGURATION.md"
    )
    c.add_argument("what", choices=["docs"])
    c.set_defaults(run=_config, component="config")
    h = sub.add_parser(
        "health",
        help="probe a running component's side port: exit 0 if it"
        " is ready (or alive, with --live), 1 if not",
    )
    h.add_argument("target", choices=sorted(health.DEFAULT_PORTS))
    h.add_argument("--live", action="store_true", help="liveness (/healthz), not readiness")
    h.set_defaults(run=_health, component="health")
    from ascode.cli import add_parsers as add_ascode_parsers

    for q in add_ascode_parsers(sub):
        q.set_defaults(run=_ascode, component="ascode")
    b = sub.add_parser("bench", help="run a benchmark; prints JSON lines")
    b.add_argument("name")
    b.add_argument(
        "--tests", type=int, help="pipeline: tests at one check a minute (default 180000)"
    )
    b.add_argument(
        "--mix",
        choices=("real", "plain"),
        help="pipeline: the targets' mix "
        "(default real: 80 %% HTTPS, 20-500 ms, 1 %% 5xx, 1 %% timeouts)",
    )
    b.add_argument(
        "--window", type=float, help="pipeline: seconds of steady state measured (default 180)"
    )
    b.add_argument(
        "--executors", type=int, help="pipeline: executor processes (default one per 60,000 tests)"
    )
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
    # Operator commands and the user's monitors-as-code tools: no start-up line.
    if args.component not in ("region", "config", "health", "ascode"):
        logging.getLogger("vigil").info("starting", extra={"settings": settings.public()})
    try:
        args.run(settings, args)
    except KeyboardInterrupt:
        pass  # Ctrl-C or SIGTERM: the component has cleaned up on its way out


if __name__ == "__main__":
    main()
