"""The registry of check types: kind -> module exposing `async def run(spec, ctx)`.

A new check type is one module here and one line below; the executor never branches on
the kind.
"""

from __future__ import annotations

import importlib

from executor.checks.base import Check

REGISTRY: dict[str, str] = {
    "http": "executor.checks.http",
    "tcp": "executor.checks.tcp",
    "tls": "executor.checks.tls",
    "ping": "executor.checks.ping",
    "dns": "executor.checks.dns",
    "smtp": "executor.checks.smtp",
    "redis": "executor.checks.redis",
    "postgres": "executor.checks.postgres",
    "mysql": "executor.checks.mysql",
    "rabbitmq": "executor.checks.rabbitmq",
}

_loaded: dict[str, Check] = {}


class UnknownCheck(LookupError):
    """A test names a kind this executor cannot run."""


def get(kind: str) -> Check:
    if kind not in _loaded:
        if kind not in REGISTRY:
            raise UnknownCheck(f"no check of kind {kind!r}")
        _loaded[kind] = importlib.import_module(REGISTRY[kind]).run
    return _loaded[kind]
