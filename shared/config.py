"""Configuration from VIGIL_* environment variables, read once at start-up.

Every setting has a local default that works on a developer machine; a bad value stops
start-up with a message naming the variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields


class ConfigError(ValueError):
    """A VIGIL_* variable has a value Vigil cannot use."""


_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def _str(env: Mapping[str, str], name: str, default: str) -> str:
    return env.get(name, default)


def _name(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, default)
    if not _NAME.match(value):
        raise ConfigError(f"{name}={value!r}: use 1-32 of a-z, 0-9, '-' and '_'")
    return value


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: not a whole number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value}: must be between {low} and {high}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: not a number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value}: must be between {low} and {high}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name}={raw!r}: use true or false")


def _secret(env: Mapping[str, str], name: str, default: str) -> str:
    """A secret may come from NAME_FILE, so it never has to sit in the environment."""
    path = env.get(f"{name}_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as fh:
                return fh.read().strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE={path!r}: {exc.strerror}") from None
    return env.get(name, default)


DEV_SECRET = "vigil-dev-secret-change-me"


@dataclass(frozen=True)
class Settings:
    """Everything a Vigil process may be configured with."""

    database_url: str
    amqp_url: str
    cell: str
    region: str
    node_id: str
    secret_key: str
    token_ttl_s: int
    api_host: str
    api_port: int
    api_url: str
    frontend_host: str
    frontend_port: int
    metrics_port: int
    allow_private_targets: bool
    min_interval_s: int
    scheduler_poll_s: float
    batch_max_results: int
    batch_max_delay_s: float
    processor_prefetch: int
    max_body_bytes: int
    executor_concurrency: int
    state_dir: str
    log_level: str
    log_format: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        host = _str(e, "VIGIL_API_HOST", "127.0.0.1")
        port = _int(e, "VIGIL_API_PORT", 8100, 1, 65535)
        log_format = _str(e, "VIGIL_LOG_FORMAT", "json")
        if log_format not in ("json", "text"):
            raise ConfigError(f"VIGIL_LOG_FORMAT={log_format!r}: use json or text")
        log_level = _str(e, "VIGIL_LOG_LEVEL", "INFO").upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ConfigError(f"VIGIL_LOG_LEVEL={log_level!r}: use DEBUG, INFO, WARNING or ERROR")
        return cls(
            database_url=_str(e, "VIGIL_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/vigil_a"),
            amqp_url=_secret(e, "VIGIL_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
            cell=_name(e, "VIGIL_CELL", "a"),
            region=_name(e, "VIGIL_REGION", "local"),
            node_id=_str(e, "VIGIL_NODE_ID", os.uname().nodename),
            secret_key=_secret(e, "VIGIL_SECRET_KEY", DEV_SECRET),
            token_ttl_s=_int(e, "VIGIL_TOKEN_TTL", 3600, 60, 30 * 86400),
            api_host=host,
            api_port=port,
            api_url=_str(e, "VIGIL_API_URL", f"http://127.0.0.1:{port}").rstrip("/"),
            frontend_host=_str(e, "VIGIL_FRONTEND_HOST", "127.0.0.1"),
            frontend_port=_int(e, "VIGIL_FRONTEND_PORT", 8080, 1, 65535),
            metrics_port=_int(e, "VIGIL_METRICS_PORT", 0, 0, 65535),
            allow_private_targets=_bool(e, "VIGIL_ALLOW_PRIVATE_TARGETS", False),
            min_interval_s=_int(e, "VIGIL_MIN_INTERVAL", 30, 1, 86400),
            scheduler_poll_s=_float(e, "VIGIL_SCHEDULER_POLL", 1.0, 0.05, 300.0),
            batch_max_results=_int(e, "VIGIL_BATCH_MAX_RESULTS", 3000, 1, 100_000),
            batch_max_delay_s=_float(e, "VIGIL_BATCH_MAX_DELAY", 1.0, 0.01, 60.0),
            processor_prefetch=_int(e, "VIGIL_PROCESSOR_PREFETCH", 16, 1, 10_000),
            max_body_bytes=_int(e, "VIGIL_MAX_BODY_BYTES", 1 << 20, 1024, 64 << 20),
            executor_concurrency=_int(e, "VIGIL_EXECUTOR_CONCURRENCY", 512, 1, 100_000),
            state_dir=_str(e, "VIGIL_STATE_DIR", os.path.expanduser("~/.local/state/vigil")),
            log_level=log_level,
            log_format=log_format,
        )

    def public(self) -> dict[str, object]:
        """The settings with secrets masked, for logging at start-up."""
        masked = {"secret_key", "amqp_url", "database_url"}
        return {
            f.name: ("***" if f.name in masked else getattr(self, f.name)) for f in fields(self)
        }
