"""Configuration from VIGIL_* environment variables, read once at start-up.

Every setting has a local default that works on a developer machine; a bad value stops
start-up with a message naming the variable.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields


class ConfigError(ValueError):
    """A VIGIL_* variable has a value Vigil cannot use."""


_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_NODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # a host name will do


def valid_name(value: str) -> bool:
    """A cell or region name: short, lower-case, safe in queue names and routing keys."""
    return bool(_NAME.match(value))


def _str(env: Mapping[str, str], name: str, default: str) -> str:
    return env.get(name, default)


def _name(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, default)
    if not _NAME.match(value):
        raise ConfigError(f"{name}={value!r}: use 1-32 of a-z, 0-9, '-' and '_'")
    return value


def _node(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, default)
    if not _NODE.match(value):
        raise ConfigError(f"{name}={value!r}: use 1-64 of A-Z, a-z, 0-9, '.', '-' and '_'")
    return value


def _emails(env: Mapping[str, str], name: str) -> frozenset[str]:
    raw = env.get(name, "")
    emails = frozenset(e.strip().lower() for e in raw.split(",") if e.strip())
    bad = [e for e in emails if "@" not in e or len(e) > 320]
    if bad:
        raise ConfigError(f"{name}: {bad[0]!r} is not an email address")
    return emails


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


def _management_url(env: Mapping[str, str]) -> str:
    name = "VIGIL_RABBITMQ_MANAGEMENT_URL"
    value = _secret(env, name, "http://guest:guest@127.0.0.1:15672").rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name}: not an http(s) URL")  # never echoed: it holds a password
    return value


def _nameservers(env: Mapping[str, str], name: str) -> tuple[tuple[str, int], ...]:
    """DNS servers as 'IP[:port]' (an IPv6 address with a port in brackets), comma-separated;
    empty: the system's resolver configuration."""
    servers = []
    for item in (i.strip() for i in env.get(name, "").split(",") if i.strip()):
        match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?|([0-9.]+)(?::(\d{1,5}))?|"
                             r"([0-9A-Fa-f:]+)", item)
        try:
            if match is None:
                raise ValueError
            host = match.group(1) or match.group(3) or match.group(5)
            port = int(match.group(2) or match.group(4) or 53)
            ipaddress.ip_address(host)
            if not 1 <= port <= 65535:
                raise ValueError
        except ValueError:
            raise ConfigError(f"{name}: {item!r} is not an IP address with an optional :port"
                              ) from None
        servers.append((host, port))
    return tuple(servers)


DEV_SECRET = "vigil-dev-secret-change-me"
_HOOK = re.compile(r"^([a-z0-9][a-z0-9_-]{0,31})=(/.+)$")


def _hooks(env: Mapping[str, str], name: str) -> tuple[tuple[str, str], ...]:
    """Operator-registered hook programs: 'name=/absolute/path,other=/path'."""
    raw = env.get(name, "").strip()
    if not raw:
        return ()
    pairs = []
    for item in raw.split(","):
        match = _HOOK.match(item.strip())
        if not match:
            raise ConfigError(f"{name}: {item.strip()!r} is not name=/absolute/path")
        pairs.append((match.group(1), match.group(2)))
    return tuple(pairs)


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, default).rstrip("/")
    if value and not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name}={value!r}: not an http(s) URL")
    return value


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
    refresh_ttl_s: int
    auth_rate_per_ip: int
    auth_rate_per_email: int
    max_tests: int
    public_cache_ttl_s: float
    directory_url: str
    api_host: str
    api_port: int
    api_url: str
    frontend_host: str
    frontend_port: int
    metrics_port: int
    allow_private_targets: bool
    min_interval_s: int
    scheduler_poll_s: float
    scheduler_full_read_s: float  # a full read of the tests now and then, besides the changes
    batch_max_results: int
    batch_max_delay_s: float
    spill_after_s: float  # an unconfirmed batch goes to disk this long after it was sealed
    spill_memory_batches: int  # past this many held, batches on disk are let go of memory
    processor_prefetch: int
    processor_group_rows: int
    processor_writers: int
    results_retention_days: int
    batch_id_retention_days: int
    max_body_bytes: int
    executor_concurrency: int
    state_dir: str
    log_level: str
    log_format: str
    notify_max_attempts: int
    notify_backoff_base_ms: int
    notify_backoff_max_ms: int
    notify_timeout_s: float
    notify_concurrency: int
    notify_remind_every_min: int
    notify_allow_private: bool
    smtp_url: str
    smtp_from: str
    telegram_api_url: str
    pagerduty_events_url: str
    hooks: tuple[tuple[str, str], ...]
    hooks_dir: str
    hooks_user: str
    hooks_timeout_s: float
    # Regions and the node fleet (issue 4).
    heartbeat_interval_s: float
    node_dead_after_s: float
    max_clock_skew_s: float  # a node whose clock is further off is broken: its results don't count
    admin_emails: frozenset[str]
    regions_file: str
    region_buffer_bytes: int
    rabbitmq_management_url: str  # the broker's HTTP management API: queue depths for /system
    # Proof of custom domains: where the TXT record is looked up, how long, how long an
    # unverified claim blocks other accounts.
    domain_dns_servers: tuple[tuple[str, int], ...]
    domain_dns_timeout_s: float
    domain_claim_days: int
    # Heartbeat tests: the public base of this cell's ping URLs, and the pings a second one
    # token may send (bursts of as many) before the API answers 429.
    ping_url: str
    ping_rate: float

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
        state_dir = _str(e, "VIGIL_STATE_DIR", os.path.expanduser("~/.local/state/vigil"))
        heartbeat = _float(e, "VIGIL_HEARTBEAT_INTERVAL", 5.0, 0.1, 300.0)
        dead_after = _float(e, "VIGIL_NODE_DEAD_AFTER", 20.0, 0.5, 3600.0)
        if dead_after < 2 * heartbeat:
            raise ConfigError(f"VIGIL_NODE_DEAD_AFTER={dead_after}: must be at least twice "
                              f"VIGIL_HEARTBEAT_INTERVAL ({heartbeat})")
        return cls(
            database_url=_str(e, "VIGIL_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/vigil_a"),
            amqp_url=_secret(e, "VIGIL_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
            cell=_name(e, "VIGIL_CELL", "a"),
            region=_name(e, "VIGIL_REGION", "local"),
            node_id=_node(e, "VIGIL_NODE_ID", os.uname().nodename),
            secret_key=_secret(e, "VIGIL_SECRET_KEY", DEV_SECRET),
            token_ttl_s=_int(e, "VIGIL_TOKEN_TTL", 3600, 60, 30 * 86400),
            refresh_ttl_s=_int(e, "VIGIL_REFRESH_TTL", 30 * 86400, 300, 365 * 86400),
            auth_rate_per_ip=_int(e, "VIGIL_AUTH_RATE_PER_IP", 60, 0, 1_000_000),
            auth_rate_per_email=_int(e, "VIGIL_AUTH_RATE_PER_EMAIL", 10, 0, 1_000_000),
            max_tests=_int(e, "VIGIL_MAX_TESTS", 100, 1, 1_000_000),
            public_cache_ttl_s=_float(e, "VIGIL_PUBLIC_CACHE_TTL", 5.0, 0.0, 3600.0),
            directory_url=_secret(e, "VIGIL_DIRECTORY_URL", ""),
            api_host=host,
            api_port=port,
            api_url=_str(e, "VIGIL_API_URL", f"http://127.0.0.1:{port}").rstrip("/"),
            frontend_host=_str(e, "VIGIL_FRONTEND_HOST", "127.0.0.1"),
            frontend_port=_int(e, "VIGIL_FRONTEND_PORT", 8080, 1, 65535),
            metrics_port=_int(e, "VIGIL_METRICS_PORT", 0, 0, 65535),
            allow_private_targets=_bool(e, "VIGIL_ALLOW_PRIVATE_TARGETS", False),
            min_interval_s=_int(e, "VIGIL_MIN_INTERVAL", 30, 1, 86400),
            scheduler_poll_s=_float(e, "VIGIL_SCHEDULER_POLL", 1.0, 0.05, 300.0),
            scheduler_full_read_s=_float(e, "VIGIL_SCHEDULER_FULL_READ", 600.0, 1.0, 86400.0),
            batch_max_results=_int(e, "VIGIL_BATCH_MAX_RESULTS", 3000, 1, 100_000),
            batch_max_delay_s=_float(e, "VIGIL_BATCH_MAX_DELAY", 1.0, 0.01, 60.0),
            spill_after_s=_float(e, "VIGIL_SPILL_AFTER", 5.0, 0.1, 3600.0),
            spill_memory_batches=_int(e, "VIGIL_SPILL_MEMORY_BATCHES", 200, 1, 1_000_000),
            processor_prefetch=_int(e, "VIGIL_PROCESSOR_PREFETCH", 64, 1, 10_000),
            processor_group_rows=_int(e, "VIGIL_PROCESSOR_GROUP_ROWS", 60_000, 1, 1_000_000),
            processor_writers=_int(e, "VIGIL_PROCESSOR_WRITERS", 2, 1, 16),
            results_retention_days=_int(e, "VIGIL_RESULTS_RETENTION_DAYS", 0, 0, 100_000),
            batch_id_retention_days=_int(e, "VIGIL_BATCH_ID_RETENTION_DAYS", 30, 1, 3650),
            max_body_bytes=_int(e, "VIGIL_MAX_BODY_BYTES", 1 << 20, 1024, 64 << 20),
            executor_concurrency=_int(e, "VIGIL_EXECUTOR_CONCURRENCY", 512, 1, 100_000),
            state_dir=state_dir,
            log_level=log_level,
            log_format=log_format,
            **_notifier_settings(e),
            heartbeat_interval_s=heartbeat,
            node_dead_after_s=dead_after,
            max_clock_skew_s=_float(e, "VIGIL_MAX_CLOCK_SKEW", 30.0, 0.1, 86400.0),
            admin_emails=_emails(e, "VIGIL_ADMIN_EMAILS"),
            regions_file=_str(e, "VIGIL_REGIONS_FILE", os.path.join(state_dir, "regions.json")),
            region_buffer_bytes=_int(e, "VIGIL_REGION_BUFFER_BYTES", 1 << 30, 1 << 20, 1 << 40),
            rabbitmq_management_url=_management_url(e),
            domain_dns_servers=_nameservers(e, "VIGIL_DOMAIN_DNS_SERVERS"),
            domain_dns_timeout_s=_float(e, "VIGIL_DOMAIN_DNS_TIMEOUT", 3.0, 0.1, 60.0),
            domain_claim_days=_int(e, "VIGIL_DOMAIN_CLAIM_DAYS", 7, 1, 365),
            ping_url=_url(e, "VIGIL_PING_URL", _str(e, "VIGIL_API_URL",
                                                    f"http://127.0.0.1:{port}")),
            ping_rate=_float(e, "VIGIL_PING_RATE", 5.0, 0.0, 1_000_000.0),
        )

    def public(self) -> dict[str, object]:
        """The settings with secrets masked, for logging at start-up."""
        masked = {"secret_key", "amqp_url", "database_url", "smtp_url", "directory_url",
                  "rabbitmq_management_url"}
        return {
            f.name: ("***" if f.name in masked else getattr(self, f.name)) for f in fields(self)
        }


def _notifier_settings(e: Mapping[str, str]) -> dict[str, object]:
    smtp_url = _secret(e, "VIGIL_SMTP_URL", "")
    if smtp_url and not smtp_url.startswith(("smtp://", "smtps://")):
        raise ConfigError("VIGIL_SMTP_URL: use smtp://[user:password@]host[:port] or smtps://")
    return {
        "notify_max_attempts": _int(e, "VIGIL_NOTIFY_MAX_ATTEMPTS", 6, 1, 50),
        "notify_backoff_base_ms": _int(e, "VIGIL_NOTIFY_BACKOFF_BASE", 15_000, 1, 86_400_000),
        "notify_backoff_max_ms": _int(e, "VIGIL_NOTIFY_BACKOFF_MAX", 3_600_000, 1, 86_400_000),
        "notify_timeout_s": _float(e, "VIGIL_NOTIFY_TIMEOUT", 20.0, 0.1, 600.0),
        "notify_concurrency": _int(e, "VIGIL_NOTIFY_CONCURRENCY", 8, 1, 1000),
        "notify_remind_every_min": _int(e, "VIGIL_NOTIFY_REMIND_EVERY", 0, 0, 7 * 1440),
        "notify_allow_private": _bool(e, "VIGIL_NOTIFY_ALLOW_PRIVATE", False),
        "smtp_url": smtp_url,
        "smtp_from": _str(e, "VIGIL_SMTP_FROM", "vigil@localhost"),
        "telegram_api_url": _url(e, "VIGIL_TELEGRAM_API_URL", "https://api.telegram.org"),
        "pagerduty_events_url": _url(e, "VIGIL_PAGERDUTY_EVENTS_URL",
                                     "https://events.pagerduty.com/v2/enqueue"),
        "hooks": _hooks(e, "VIGIL_HOOKS"),
        "hooks_dir": _str(e, "VIGIL_HOOKS_DIR", ""),
        "hooks_user": _str(e, "VIGIL_HOOKS_USER", "nobody"),
        "hooks_timeout_s": _float(e, "VIGIL_HOOKS_TIMEOUT", 30.0, 0.1, 3600.0),
    }
