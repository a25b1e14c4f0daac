"""Configuration from VIGIL_* environment variables, read once at start-up.

Every setting has a local default that works on a developer machine; a bad value stops
start-up with a message naming the variable.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal
from urllib.parse import urlsplit

from shared import names


class ConfigError(ValueError):
    """A VIGIL_* variable has a value Vigil cannot use."""


_NAME = re.compile(f"^{names.NAME_PATTERN}$")
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


def broker_urls(value: str) -> list[str]:
    """The brokers of VIGIL_AMQP_URL: one URL, or several of one cluster comma-separated."""
    return [u.strip() for u in value.split(",") if u.strip()]


def _amqp(v: Var, e: Mapping[str, str], d: str) -> str:
    """Every URL amqp:// or amqps://, all on one vhost (a cluster's nodes share it)."""
    urls = broker_urls(e.get(v.env, d))
    if not urls:
        raise ConfigError(f"{v.env}: name at least one broker")
    for i, url in enumerate(urls, 1):
        if not url.startswith(("amqp://", "amqps://")) or not urlsplit(url).hostname:
            raise ConfigError(f"{v.env}: broker {i} is not an amqp(s)://host URL")  # no echo
    if len({urlsplit(u).path.lstrip("/") for u in urls}) > 1:
        raise ConfigError(f"{v.env}: every broker must name the same vhost")
    return ",".join(urls)


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
        match = re.fullmatch(
            r"\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?|([0-9.]+)(?::(\d{1,5}))?|"
            r"([0-9A-Fa-f:]+)",
            item,
        )
        try:
            if match is None:
                raise ValueError
            host = match.group(1) or match.group(3) or match.group(5)
            port = int(match.group(2) or match.group(4) or 53)
            ipaddress.ip_address(host)
            if not 1 <= port <= 65535:
                raise ValueError
        except ValueError:
            raise ConfigError(
                f"{name}: {item!r} is not an IP address with an optional :port"
            ) from None
        servers.append((host, port))
    return tuple(servers)


DEV_SECRET = "vigil-dev-secret-change-me"
_HOOK = re.compile(f"^({names.NAME_PATTERN})=(/.+)$")


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


# --- the table ----------------------------------------------------------------------------
# Every VIGIL_* variable once: what it sets, how it is read, its default and bounds, which
# components read it and what it is for. It builds `Settings` and docs/CONFIGURATION.md
# (`vigil config docs`; tests/shared/test_configuration_doc.py keeps the file current).

Default = Any  # a value, or a function of the values read before it (a derived default)


@dataclass(frozen=True)
class Var:
    env: str
    field: str
    kind: str  # a key of READERS
    default: Default
    help: str
    components: tuple[str, ...]
    low: float | None = None
    high: float | None = None
    secret: bool = False  # masked in logs; also read from <env>_FILE
    shown_default: str = ""  # the default as the docs say it, when it is derived

    def read(self, env: Mapping[str, str], before: Mapping[str, Any]) -> Any:
        default = self.default(before) if callable(self.default) else self.default
        if self.secret:
            env = {**env, self.env: _secret(env, self.env, default)}
        return READERS[self.kind](self, env, default)


def _bounded(parse: Any) -> Any:
    return lambda v, e, d: parse(e, v.env, d, v.low, v.high)


def _choice(*allowed: str) -> Any:
    def read(v: Var, e: Mapping[str, str], d: str) -> str:
        value = e.get(v.env, d)
        value = value.upper() if v.env == "VIGIL_LOG_LEVEL" else value
        if value not in allowed:
            raise ConfigError(f"{v.env}={value!r}: use {' or '.join(allowed)}")
        return value

    return read


def _smtp(v: Var, e: Mapping[str, str], d: str) -> str:
    value = e.get(v.env, d)
    if value and not value.startswith(("smtp://", "smtps://")):
        raise ConfigError(f"{v.env}: use smtp://[user:password@]host[:port] or smtps://")
    return value


def _management(v: Var, e: Mapping[str, str], d: str) -> str:
    value = e.get(v.env, d).rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"{v.env}: not an http(s) URL")  # never echoed: it holds a password
    return value


@dataclass(frozen=True)
class OidcProvider:
    """One OpenID Connect provider users may log in through (issue 16)."""

    name: str
    label: str  # the log-in page's button
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)  # the API's only; never logged
    groups_claim: str = "groups"
    team: str = ""  # an owner's email: new log-ins join that team; empty: their own account
    roles: tuple[tuple[str, str], ...] = ()  # (group, role), the first group found wins


def _oidc_roles(name: str, raw: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in (i.strip() for i in raw.split(",") if i.strip()):
        group, _, role = item.partition("=")
        if not group.strip() or role.strip() not in ("owner", "editor", "viewer"):
            raise ConfigError(f"{name}: {item!r}: use group=owner|editor|viewer")
        pairs.append((group.strip(), role.strip()))
    return tuple(pairs)


def _oidc(v: Var, e: Mapping[str, str], d: str) -> tuple[OidcProvider, ...]:
    """VIGIL_OIDC_PROVIDERS names the providers; each NAME's settings are read from
    VIGIL_OIDC_<NAME>_*, so a second provider needs no new code, only its variables."""
    providers = []
    for name in (n.strip() for n in e.get(v.env, d).split(",") if n.strip()):
        if not _NAME.match(name):
            raise ConfigError(f"{v.env}: {name!r}: use 1-32 of a-z, 0-9, '-' and '_'")
        pre = f"VIGIL_OIDC_{name.upper().replace('-', '_')}_"
        _url(e, pre + "ISSUER", "")  # refuses what is not http(s); kept unstripped, as
        issuer = e.get(pre + "ISSUER", "")  # it is compared with the provider's own
        client_id = e.get(pre + "CLIENT_ID", "")
        if not issuer or not client_id:
            raise ConfigError(f"{pre}ISSUER and {pre}CLIENT_ID: both are required for {name}")
        providers.append(
            OidcProvider(
                name=name,
                label=e.get(pre + "LABEL", name),
                issuer=issuer,
                client_id=client_id,
                client_secret=_secret(e, pre + "CLIENT_SECRET", ""),
                groups_claim=e.get(pre + "GROUPS_CLAIM", "groups"),
                team=e.get(pre + "TEAM", "").strip().lower(),
                roles=_oidc_roles(pre + "ROLES", e.get(pre + "ROLES", "")),
            )
        )
    return tuple(providers)


SignupMode = Literal["open", "domains", "invite"]
SIGNUP_MODES: tuple[SignupMode, ...] = ("open", "domains", "invite")
READERS: dict[str, Any] = {
    "str": lambda v, e, d: _str(e, v.env, d),
    "path": lambda v, e, d: os.path.expanduser(_str(e, v.env, d)),
    "int": _bounded(_int),
    "optional_int": lambda v, e, d: None if v.env not in e else _int(e, v.env, 0, v.low, v.high),
    "float": _bounded(_float),
    "bool": lambda v, e, d: _bool(e, v.env, d),
    "name": lambda v, e, d: _name(e, v.env, d),
    "node": lambda v, e, d: _node(e, v.env, d),
    "emails": lambda v, e, d: _emails(e, v.env),
    "nameservers": lambda v, e, d: _nameservers(e, v.env),
    "hooks": lambda v, e, d: _hooks(e, v.env),
    "url": lambda v, e, d: _url(e, v.env, d),
    "stripped": lambda v, e, d: _str(e, v.env, d).rstrip("/"),
    "smtp": _smtp,
    "management": _management,
    "amqp": _amqp,
    "queue_type": _choice("quorum", "classic"),
    "log_level": _choice("DEBUG", "INFO", "WARNING", "ERROR"),
    "log_format": _choice("json", "text"),
    "signup": lambda v, e, d: _choice(*SIGNUP_MODES)(v, {v.env: e.get(v.env, d).lower()}, d),
    "list": lambda v, e, d: frozenset(x.strip() for x in e.get(v.env, d).split(",") if x.strip()),
    "oidc": _oidc,
    "domains": lambda v, e, d: frozenset(
        x.strip().lower().lstrip("@") for x in e.get(v.env, "").split(",") if x.strip()
    ),
}

ALL = ("all",)
API, FRONTEND, OPS = ("api",), ("frontend",), ("ops",)
SCHEDULER, EXECUTOR, PROCESSOR, NOTIFIER = (
    ("scheduler",),
    ("executor",),
    ("processor",),
    ("notifier",),
)
CELL = ("api", "scheduler", "processor", "notifier")


def _api_url(v: Mapping[str, Any]) -> str:
    return f"http://127.0.0.1:{v['api_port']}"


VARIABLES: tuple[Var, ...] = (
    Var(
        "VIGIL_DATABASE_URL",
        "database_url",
        "str",
        "postgresql://postgres@127.0.0.1:5432/vigil_a",
        "the cell's PostgreSQL database",
        CELL,
        secret=True,
    ),
    Var(
        "VIGIL_AMQP_URL",
        "amqp_url",
        "amqp",
        "amqp://guest:guest@127.0.0.1:5672/",
        "RabbitMQ (vhost in the path); several nodes of one cluster comma-separated: a "
        "component connects to the first that answers and, when it is lost, to another. The "
        "API connects on the first channel test only",
        ALL,
        secret=True,
    ),
    Var(
        "VIGIL_AMQP_QUEUE_TYPE",
        "amqp_queue_type",
        "queue_type",
        "quorum",
        "`quorum` (replicated on a majority of the cluster, survives a node loss) or "
        "`classic` (one node; for a single development broker) for the queues that hold "
        "work or results; existing classic queues move with `vigil queues migrate`",
        ALL,
    ),
    Var(
        "VIGIL_AMQP_DELIVERY_LIMIT",
        "amqp_delivery_limit",
        "int",
        20,
        "deliveries of one message to a quorum queue's consumers before it is dead-lettered "
        "(a message that crashes its consumer each time)",
        ALL,
        1,
        10_000,
    ),
    Var(
        "VIGIL_CELL",
        "cell",
        "name",
        "a",
        "name of this cell; results are routed back to it",
        CELL + EXECUTOR,
    ),
    Var(
        "VIGIL_REGION",
        "region",
        "name",
        "local",
        "the executor's region, and the default region of new tests",
        EXECUTOR + API,
    ),
    Var(
        "VIGIL_NODE_ID",
        "node_id",
        "node",
        os.uname().nodename,
        "the executor's node name (1-64 of `A-Za-z0-9._-`), carried on every batch and heartbeat",
        EXECUTOR,
        shown_default="the host name",
    ),
    Var(
        "VIGIL_SECRET_KEY",
        "secret_key",
        "str",
        DEV_SECRET,
        "signs API tokens and frontend sessions: **set it in production**",
        API + FRONTEND,
        secret=True,
        shown_default="a development key",
    ),
    Var(
        "VIGIL_TOKEN_TTL",
        "token_ttl_s",
        "int",
        3600,
        "seconds an API access token lives",
        API,
        60,
        30 * 86400,
    ),
    Var(
        "VIGIL_REFRESH_TTL",
        "refresh_ttl_s",
        "int",
        30 * 86400,
        "seconds a refresh token lives (30 days); each works once",
        API,
        300,
        365 * 86400,
    ),
    Var(
        "VIGIL_AUTH_RATE_PER_IP",
        "auth_rate_per_ip",
        "int",
        60,
        "sign-up, log-in, refresh and locate attempts a minute per client address, per API "
        "process (0: off)",
        API,
        0,
        1_000_000,
    ),
    Var(
        "VIGIL_AUTH_RATE_PER_EMAIL",
        "auth_rate_per_email",
        "int",
        10,
        "sign-up and log-in attempts a minute per email, per API process (0: off)",
        API,
        0,
        1_000_000,
    ),
    Var(
        "VIGIL_MAX_TESTS",
        "max_tests",
        "int",
        100,
        "tests an account may have, unless the operator set its own quota",
        API,
        1,
        1_000_000,
    ),
    Var(
        "VIGIL_PUBLIC_CACHE_TTL",
        "public_cache_ttl_s",
        "float",
        5.0,
        "seconds a public status page is served from the API's cache before a background "
        "refresh (0: no cache)",
        API,
        0.0,
        3600.0,
    ),
    Var(
        "VIGIL_DIRECTORY_URL",
        "directory_url",
        "str",
        "",
        "the directory's PostgreSQL database, shared by every cell of a deployment (empty: "
        "one cell; custom domains need it)",
        API + FRONTEND + OPS,
        secret=True,
    ),
    Var("VIGIL_API_HOST", "api_host", "str", "127.0.0.1", "where `vigil api` listens", API),
    Var("VIGIL_API_PORT", "api_port", "int", 8100, "where `vigil api` listens", API, 1, 65535),
    Var(
        "VIGIL_API_URL",
        "api_url",
        "stripped",
        _api_url,
        "where the frontend (and `vigil stack`) reach the API",
        FRONTEND + OPS,
        shown_default="http://127.0.0.1:$VIGIL_API_PORT",
    ),
    Var(
        "VIGIL_FRONTEND_HOST",
        "frontend_host",
        "str",
        "127.0.0.1",
        "where `vigil frontend` listens",
        FRONTEND,
    ),
    Var(
        "VIGIL_FRONTEND_PORT",
        "frontend_port",
        "int",
        8080,
        "where `vigil frontend` listens",
        FRONTEND,
        1,
        65535,
    ),
    Var(
        "VIGIL_METRICS_PORT",
        "metrics_port",
        "optional_int",
        None,
        "the side port with `/metrics`, `/healthz` and `/readyz` (0: none; unset: the "
        "component's own, see docs/OPERATING.md)",
        SCHEDULER + EXECUTOR + PROCESSOR + NOTIFIER,
        0,
        65535,
        shown_default="executor `9100`, processor `9101`, scheduler `9102`, notifier `9103`",
    ),
    Var(
        "VIGIL_METRICS_HOST",
        "metrics_host",
        "str",
        "127.0.0.1",
        "the address the side port binds",
        SCHEDULER + EXECUTOR + PROCESSOR + NOTIFIER,
    ),
    Var(
        "VIGIL_ALLOW_PRIVATE_TARGETS",
        "allow_private_targets",
        "bool",
        False,
        "allow checks of addresses that are not global unicast: loopback, private, "
        "link-local, carrier-grade NAT... (home labs, the demo, the tests)",
        API + EXECUTOR,
    ),
    Var(
        "VIGIL_MIN_INTERVAL",
        "min_interval_s",
        "int",
        30,
        "the shortest check interval a test may have, in seconds, unless the operator set the "
        "account's own",
        API,
        1,
        86400,
    ),
    Var(
        "VIGIL_SCHEDULER_POLL",
        "scheduler_poll_s",
        "float",
        1.0,
        "seconds between the scheduler's looks for changed tests",
        SCHEDULER,
        0.05,
        300.0,
    ),
    Var(
        "VIGIL_SCHEDULER_FULL_READ",
        "scheduler_full_read_s",
        "float",
        600.0,
        "seconds between the scheduler's full reads of the cell's tests, a backstop besides "
        "the polls for changed rows",
        SCHEDULER,
        1.0,
        86400.0,
    ),
    Var(
        "VIGIL_SCHEDULER_TAKEOVER",
        "scheduler_takeover_s",
        "float",
        10.0,
        "seconds within which a standby scheduler leads once the leader is gone (dead, hung "
        "or cut off from the database)",
        SCHEDULER,
        1.0,
        3600.0,
    ),
    Var(
        "VIGIL_SCHEDULER_WATCHDOG",
        "scheduler_watchdog_s",
        "float",
        60.0,
        "seconds a leading scheduler's poll may take; past it the process exits so a standby leads",
        SCHEDULER,
        1.0,
        86400.0,
    ),
    Var(
        "VIGIL_BATCH_MAX_RESULTS",
        "batch_max_results",
        "int",
        3000,
        "results per batch at most",
        EXECUTOR,
        1,
        100_000,
    ),
    Var(
        "VIGIL_BATCH_MAX_DELAY",
        "batch_max_delay_s",
        "float",
        1.0,
        "seconds a result waits in the executor before its batch goes",
        EXECUTOR,
        0.01,
        60.0,
    ),
    Var(
        "VIGIL_SPILL_AFTER",
        "spill_after_s",
        "float",
        5.0,
        "seconds a result batch may wait for the broker's confirm before the executor also "
        "writes it to its spill folder, so a crash during an outage loses at most this much",
        EXECUTOR,
        0.1,
        3600.0,
    ),
    Var(
        "VIGIL_SPILL_MEMORY_BATCHES",
        "spill_memory_batches",
        "int",
        200,
        "batches an executor holds in memory while the broker does not confirm; past it, "
        "batches already on disk are let go of memory and sent from their files",
        EXECUTOR,
        1,
        1_000_000,
    ),
    Var(
        "VIGIL_PROCESSOR_PREFETCH",
        "processor_prefetch",
        "int",
        64,
        "batches a processor holds unacknowledged at once",
        PROCESSOR,
        1,
        10_000,
    ),
    Var(
        "VIGIL_PROCESSOR_GROUP_ROWS",
        "processor_group_rows",
        "int",
        60_000,
        "results a processor stores in one transaction at most",
        PROCESSOR,
        1,
        1_000_000,
    ),
    Var(
        "VIGIL_PROCESSOR_WRITERS",
        "processor_writers",
        "int",
        2,
        "transactions a processor runs at once",
        PROCESSOR,
        1,
        16,
    ),
    Var(
        "VIGIL_RESULTS_RETENTION_DAYS",
        "results_retention_days",
        "int",
        0,
        "days of full history kept (0: forever); older months are dropped whole (the week "
        "table always keeps seven days)",
        PROCESSOR,
        0,
        100_000,
    ),
    Var(
        "VIGIL_BATCH_ID_RETENTION_DAYS",
        "batch_id_retention_days",
        "int",
        30,
        "days a stored batch id is remembered to recognise a redelivery",
        PROCESSOR,
        1,
        3650,
    ),
    Var(
        "VIGIL_MAX_BODY_BYTES",
        "max_body_bytes",
        "int",
        1 << 20,
        "bytes of a response body a check reads at most",
        EXECUTOR,
        1024,
        64 << 20,
    ),
    Var(
        "VIGIL_EXECUTOR_CONCURRENCY",
        "executor_concurrency",
        "int",
        512,
        "checks one executor process runs at once; more wait their turn (and start late)",
        EXECUTOR,
        1,
        100_000,
    ),
    Var(
        "VIGIL_STATE_DIR",
        "state_dir",
        "path",
        "~/.local/state/vigil",
        "where an executor keeps local state: the tests it holds, and results the broker has "
        "not confirmed (`spill/<region>/<node>/`)",
        EXECUTOR + OPS,
    ),
    Var(
        "VIGIL_LOG_LEVEL",
        "log_level",
        "log_level",
        "INFO",
        "`DEBUG`, `INFO`, `WARNING` or `ERROR`",
        ALL,
    ),
    Var(
        "VIGIL_LOG_FORMAT",
        "log_format",
        "log_format",
        "json",
        "`json` (one object a line) or `text`",
        ALL,
    ),
    Var(
        "VIGIL_NOTIFY_MAX_ATTEMPTS",
        "notify_max_attempts",
        "int",
        6,
        "tries of one delivery before it is dead-lettered",
        NOTIFIER,
        1,
        50,
    ),
    Var(
        "VIGIL_NOTIFY_BACKOFF_BASE",
        "notify_backoff_base_ms",
        "int",
        15_000,
        "milliseconds before the first retry; each retry waits twice as long",
        NOTIFIER,
        1,
        86_400_000,
    ),
    Var(
        "VIGIL_NOTIFY_BACKOFF_MAX",
        "notify_backoff_max_ms",
        "int",
        3_600_000,
        "the longest wait between two tries, in milliseconds",
        NOTIFIER,
        1,
        86_400_000,
    ),
    Var(
        "VIGIL_NOTIFY_TIMEOUT",
        "notify_timeout_s",
        "float",
        20.0,
        "seconds one delivery attempt may take",
        NOTIFIER,
        0.1,
        600.0,
    ),
    Var(
        "VIGIL_NOTIFY_CONCURRENCY",
        "notify_concurrency",
        "int",
        8,
        "deliveries the notifier works on at once",
        NOTIFIER,
        1,
        1000,
    ),
    Var(
        "VIGIL_NOTIFY_REMIND_EVERY",
        "notify_remind_every_min",
        "int",
        0,
        "minutes between reminders while an incident stays open and nobody has acknowledged "
        "it (0: off)",
        NOTIFIER,
        0,
        7 * 1440,
    ),
    Var(
        "VIGIL_NOTIFY_ALLOW_PRIVATE",
        "notify_allow_private",
        "bool",
        False,
        "let accounts' webhooks and SMTP servers be loopback or private addresses",
        NOTIFIER,
    ),
    Var(
        "VIGIL_SMTP_URL",
        "smtp_url",
        "smtp",
        "",
        "the operator's mail relay for email channels that name no server: "
        "`smtp://user:pass@host:587` (STARTTLS), `smtps://...` (TLS), "
        "`smtp://host:25?security=plain`",
        NOTIFIER,
        secret=True,
    ),
    Var(
        "VIGIL_SMTP_FROM",
        "smtp_from",
        "str",
        "vigil@localhost",
        "sender of alert emails that name none",
        NOTIFIER,
    ),
    Var(
        "VIGIL_TELEGRAM_API_URL",
        "telegram_api_url",
        "url",
        "https://api.telegram.org",
        "the Telegram Bot API",
        NOTIFIER,
    ),
    Var(
        "VIGIL_PAGERDUTY_EVENTS_URL",
        "pagerduty_events_url",
        "url",
        "https://events.pagerduty.com/v2/enqueue",
        "PagerDuty's Events API v2",
        NOTIFIER,
    ),
    Var(
        "VIGIL_HOOKS",
        "hooks",
        "hooks",
        "",
        "hook programs the operator allows: `name=/absolute/path,other=/path`",
        NOTIFIER + API,
    ),
    Var(
        "VIGIL_HOOKS_DIR",
        "hooks_dir",
        "str",
        "",
        "a folder whose executable files are hook programs too (named after the file)",
        NOTIFIER + API,
    ),
    Var(
        "VIGIL_HOOKS_USER",
        "hooks_user",
        "str",
        "nobody",
        "the user hooks run as when the notifier runs as root",
        NOTIFIER,
    ),
    Var(
        "VIGIL_HOOKS_TIMEOUT",
        "hooks_timeout_s",
        "float",
        30.0,
        "seconds a hook may run before it and everything it started are killed",
        NOTIFIER,
        0.1,
        3600.0,
    ),
    Var(
        "VIGIL_HEARTBEAT_INTERVAL",
        "heartbeat_interval_s",
        "float",
        5.0,
        "seconds between an executor's heartbeats",
        EXECUTOR + SCHEDULER,
        0.1,
        300.0,
    ),
    Var(
        "VIGIL_NODE_DEAD_AFTER",
        "node_dead_after_s",
        "float",
        20.0,
        "seconds of silence after which the scheduler moves a node's tests to the region's "
        "live nodes (at least twice the heartbeat interval)",
        SCHEDULER,
        0.5,
        3600.0,
    ),
    Var(
        "VIGIL_MAX_CLOCK_SKEW",
        "max_clock_skew_s",
        "float",
        30.0,
        "seconds a node's clock may be off the centre's; further off, its results count for "
        "no incident until its clock is back",
        SCHEDULER,
        0.1,
        86400.0,
    ),
    Var(
        "VIGIL_ADMIN_EMAILS",
        "admin_emails",
        "emails",
        "",
        "comma-separated accounts of operators: they may see the fleet and the system view, "
        "and make `hook` channels",
        API,
    ),
    Var(
        "VIGIL_REGIONS_FILE",
        "regions_file",
        "str",
        lambda v: os.path.join(v["state_dir"], "regions.json"),
        "where `vigil region` remembers the regions (names of secret variables, never secrets)",
        OPS,
        shown_default="$VIGIL_STATE_DIR/regions.json",
    ),
    Var(
        "VIGIL_REGION_BUFFER_BYTES",
        "region_buffer_bytes",
        "int",
        1 << 30,
        "default size of a region's uplink buffer for `vigil region add` (results wait there "
        "while the link is cut)",
        OPS,
        1 << 20,
        1 << 40,
    ),
    Var(
        "VIGIL_RABBITMQ_MANAGEMENT_URL",
        "rabbitmq_management_url",
        "management",
        "http://guest:guest@127.0.0.1:15672",
        "RabbitMQ's HTTP management API (vhost from `VIGIL_AMQP_URL`): queue depths for "
        "`GET /api/v1/system`",
        API + OPS,
        secret=True,
    ),
    Var(
        "VIGIL_DOMAIN_DNS_SERVERS",
        "domain_dns_servers",
        "nameservers",
        "",
        "DNS servers the API asks for a custom domain's TXT proof, `IP[:port]` "
        "comma-separated (empty: the system's resolver)",
        API,
    ),
    Var(
        "VIGIL_DOMAIN_DNS_TIMEOUT",
        "domain_dns_timeout_s",
        "float",
        3.0,
        "seconds a custom domain's TXT look-up may take",
        API,
        0.1,
        60.0,
    ),
    Var(
        "VIGIL_DOMAIN_CLAIM_DAYS",
        "domain_claim_days",
        "int",
        7,
        "days an unproven custom domain claim blocks other accounts",
        API,
        1,
        365,
    ),
    Var(
        "VIGIL_SIGNUP",
        "signup",
        "signup",
        "open",
        "who may sign up: `open` (anyone), `domains` (addresses at `VIGIL_SIGNUP_DOMAINS` "
        "only) or `invite` (members join by invitation); whatever the mode, a cell with no "
        "account takes one sign-up: the first-run page (`/setup`)",
        API,
    ),
    Var(
        "VIGIL_SIGNUP_DOMAINS",
        "signup_domains",
        "domains",
        "",
        "comma-separated email domains sign-up is open to when `VIGIL_SIGNUP=domains` "
        "(required then)",
        API,
    ),
    Var(
        "VIGIL_SIGNUP_CONFIRM",
        "signup_confirm",
        "bool",
        True,
        "a sign-up makes the account only once the link mailed to the address is followed, "
        "so sign-up cannot tell anyone which addresses have an account; `false` makes it at "
        "once (a home lab without mail, tests), and a log-in then tells whether an address "
        "was free. The first run (`/setup`) never waits for a mail",
        API,
    ),
    Var(
        "VIGIL_FRONTEND_URL",
        "frontend_url",
        "url",
        lambda v: f"http://127.0.0.1:{v['frontend_port']}",
        "the frontend's public address, for the links in invitation, password-reset and "
        "sign-up mails",
        API,
        shown_default="http://127.0.0.1:$VIGIL_FRONTEND_PORT",
    ),
    Var(
        "VIGIL_RESET_TTL",
        "reset_ttl_s",
        "int",
        3600,
        "seconds a password-reset link works (it works once)",
        API,
        60,
        7 * 86400,
    ),
    Var(
        "VIGIL_PUBLIC_URL",
        "public_url",
        "url",
        lambda v: v["frontend_url"],
        "the public address of the status pages, for the links in subscribers' mails",
        API + NOTIFIER,
        shown_default="$VIGIL_FRONTEND_URL",
    ),
    Var(
        "VIGIL_SUBSCRIBE_RATE_PER_IP",
        "subscribe_rate_per_ip",
        "int",
        20,
        "status-page sign-ups a minute per client address, per API process (0: off)",
        API,
        0,
        1_000_000,
    ),
    Var(
        "VIGIL_SUBSCRIBE_RATE_PER_EMAIL",
        "subscribe_rate_per_email",
        "int",
        2,
        "status-page sign-ups a minute per email address, per API process (0: off)",
        API,
        0,
        1_000,
    ),
    Var(
        "VIGIL_PAGE_PASSWORD_RATE_PER_IP",
        "page_password_rate_per_ip",
        "int",
        10,
        "password attempts on private status pages a minute per client address, per API "
        "process (0: off)",
        API,
        0,
        1_000_000,
    ),
    Var(
        "VIGIL_PAGE_PASSWORD_RATE_PER_PAGE",
        "page_password_rate_per_page",
        "int",
        30,
        "password attempts a minute on one private status page from all clients, per API "
        "process (0: off)",
        API,
        0,
        1_000_000,
    ),
    Var(
        "VIGIL_PAGE_ACCESS_TTL",
        "page_access_ttl_s",
        "int",
        7 * 86400,
        "seconds a visitor stays signed in to a password-protected status page",
        API,
        60,
        365 * 86400,
    ),
    Var(
        "VIGIL_TRUSTED_PROXIES",
        "trusted_proxies",
        "list",
        "127.0.0.1,::1",
        "peers (the frontend, a proxy) whose X-Forwarded-For names the visitor, comma-separated",
        API,
    ),
    Var(
        "VIGIL_PING_URL",
        "ping_url",
        "url",
        lambda v: v["api_url"],
        "the public base of this cell's ping URLs (`<base>/ping/<token>`), as jobs reach the API",
        API,
        shown_default="$VIGIL_API_URL",
    ),
    Var(
        "VIGIL_PING_RATE",
        "ping_rate",
        "float",
        5.0,
        "pings a second one ping URL may send (in bursts of as many) before the API answers "
        "429, per API process (0: off)",
        API,
        0.0,
        1_000_000.0,
    ),
    Var(
        "VIGIL_OIDC_PROVIDERS",
        "oidc_providers",
        "oidc",
        "",
        "comma-separated names of OpenID Connect providers to log in through; for each "
        "NAME: `VIGIL_OIDC_<NAME>_ISSUER` (its issuer URL), `_CLIENT_ID`, `_CLIENT_SECRET` "
        "(or `_CLIENT_SECRET_FILE`, the API's only), `_LABEL` (the button), `_GROUPS_CLAIM` "
        "(default `groups`), `_TEAM` (an owner's email: new log-ins join that team, "
        "otherwise they get their own account as `VIGIL_SIGNUP` allows) and `_ROLES` "
        "(`group=role,...`: the role a group gets in that team, viewer otherwise)",
        API + FRONTEND,
        shown_default="none",
    ),
)


def _check_together(values: Mapping[str, Any]) -> None:
    """The rules that span two variables."""
    if values["signup"] == "domains" and not values["signup_domains"]:
        raise ConfigError(
            "VIGIL_SIGNUP_DOMAINS: name at least one domain when VIGIL_SIGNUP=domains"
        )
    heartbeat, dead_after = values["heartbeat_interval_s"], values["node_dead_after_s"]
    if dead_after < 2 * heartbeat:
        raise ConfigError(
            f"VIGIL_NODE_DEAD_AFTER={dead_after}: must be at least twice "
            f"VIGIL_HEARTBEAT_INTERVAL ({heartbeat})"
        )


@dataclass(frozen=True)
class Settings:
    """Everything a Vigil process may be configured with."""

    database_url: str
    amqp_url: str  # one broker URL, or several comma-separated (shared.amqp.connect)
    amqp_queue_type: str
    amqp_delivery_limit: int
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
    metrics_port: int | None  # None: the component's default side port; 0: none
    metrics_host: str
    allow_private_targets: bool
    min_interval_s: int
    scheduler_poll_s: float
    scheduler_full_read_s: float  # a full read of the tests now and then, besides the changes
    scheduler_takeover_s: float  # a standby leads at most this long after the leader is gone
    scheduler_watchdog_s: float  # a leader whose poll does not finish in this long exits
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
    # Self-service (issue 16): who may sign up, where links in account mails point, how long
    # a password reset link works.
    signup: SignupMode
    signup_domains: frozenset[str]
    signup_confirm: bool
    frontend_url: str
    reset_ttl_s: int
    # Status page subscribers (issue 20): where the links in their mails point, sign-ups a
    # minute per client IP and per address, and whose X-Forwarded-For names the visitor.
    public_url: str
    subscribe_rate_per_ip: int
    subscribe_rate_per_email: int
    trusted_proxies: frozenset[str]
    # Private status pages: password attempts a minute per client and per page, and how
    # long a visitor's access (the signed cookie's token) lasts.
    page_password_rate_per_ip: int = 10
    page_password_rate_per_page: int = 30
    page_access_ttl_s: int = 7 * 86400
    oidc_providers: tuple[OidcProvider, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        values: dict[str, Any] = {}
        for var in VARIABLES:  # in order: a derived default reads the values before it
            values[var.field] = var.read(e, values)
        _check_together(values)
        return cls(**values)

    def public(self) -> dict[str, object]:
        """The settings with secrets masked, for logging at start-up."""
        masked = {v.field for v in VARIABLES if v.secret}
        return {
            f.name: ("***" if f.name in masked else getattr(self, f.name)) for f in fields(self)
        }
