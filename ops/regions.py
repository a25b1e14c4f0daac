"""Remote regions: a region broker joined to the central one by two dynamic shovels.

Every connection between them is opened from the region (it may sit behind NAT), so both
shovels are declared ON THE REGION BROKER:

- down: the centre's queue `vigil.assignments.<region>` -> the region's `vigil.assignments`
  exchange, routing key kept (region.<region>.node.<node>), so each node's queue gets its own;
- up: the region's `vigil.uplink` queue (everything its executors send: result batches,
  resync requests, heartbeats) -> the centre's `vigil.up` exchange, routing key kept
  (<cell>, resync.<cell>, heartbeat.<region>.<node>), so each reaches the right consumer.

Both use `ack-mode: on-confirm` (a message leaves its source only once the destination has
confirmed it) and reconnect by themselves. The uplink queue is durable and bounded in bytes
with `overflow: reject-publish`: when a long cut fills it, the executor's publishes are nacked
and it keeps its results in memory and retries, rather than the broker dropping any.

`vigil region add/list/remove` run on the centre: they reach the centre broker over AMQP
(VIGIL_AMQP_URL) and the region broker over its management API, once, at set-up. Secrets
(the centre URL the region dials, the region's management credentials) are read from
environment variables named on the command line, never from the command line itself; the
regions file remembers those names, not the secrets.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import aio_pika
import asyncpg

from shared import amqp, names
from shared.config import ConfigError, Settings, broker_urls, valid_name
from shared.rabbitmq_admin import AdminError, RabbitAdmin

SHOVEL_HEARTBEAT_S = 10  # a cut link is noticed within about two of these


@dataclass(frozen=True)
class Region:
    """What the centre remembers of a region: names of secrets, never the secrets."""

    name: str
    management_url_env: str  # env var (or VAR_FILE) with http://user:pw@region:15672
    centre_url_env: str  # env var (or VAR_FILE) with the centre's AMQP URL as the region dials it
    vhost: str = "/"
    buffer_bytes: int = 1 << 30
    reconnect_delay_s: int = 5


def read_secret(env: Mapping[str, str], var: str) -> str:
    """The value of `var`, or the contents of the file named by `var`_FILE."""
    path = env.get(f"{var}_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as fh:
                return fh.read().strip()
        except OSError as exc:
            raise ConfigError(f"{var}_FILE={path!r}: {exc.strerror}") from None
    value = env.get(var, "").strip()
    if not value:
        raise ConfigError(f"{var} is not set (nor {var}_FILE)")
    return value


# --- the regions file ---------------------------------------------------------------------


def load(path: str) -> dict[str, Region]:
    try:
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"regions file {path}: {exc}") from None
    try:
        return {name: Region(**entry) for name, entry in raw["regions"].items()}
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"regions file {path}: unexpected content ({exc})") from None


def save(path: str, regions: dict[str, Region]) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"regions": {n: asdict(r) for n, r in sorted(regions.items())}}, fh, indent=2)
    os.replace(tmp, path)  # never a half-written file


# --- the shovels, as data -----------------------------------------------------------------


def local_uri(vhost: str) -> str:
    """A shovel's URI for its own node: a direct connection, no network, no password."""
    return "amqp://" if vhost == "/" else f"amqp:///{quote(vhost, safe='')}"


def with_heartbeat(url: str) -> str:
    """The centre URL with an AMQP heartbeat, unless it names one: a link that dies silently
    (no RST, as when a route disappears) is then noticed in seconds, not minutes."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.setdefault("heartbeat", str(SHOVEL_HEARTBEAT_S))
    return urlunsplit(parts._replace(query=urlencode(query)))


def shovels(region: Region, centre_url: str) -> dict[str, dict[str, Any]]:
    """The two dynamic shovel definitions of a region, by name. A centre of several nodes
    (comma-separated, as VIGIL_AMQP_URL) becomes a list of URIs: the shovel connects to one
    and, when it is lost, to another (RabbitMQ picks among them on every reconnection)."""
    nodes = [with_heartbeat(u) for u in broker_urls(centre_url)]
    centre: str | list[str] = nodes[0] if len(nodes) == 1 else nodes
    local = local_uri(region.vhost)
    common = {
        "src-protocol": "amqp091",
        "dest-protocol": "amqp091",
        "ack-mode": "on-confirm",
        "reconnect-delay": region.reconnect_delay_s,
        "src-delete-after": "never",
    }
    return {
        names.shovel_name(region.name, "down"): {
            **common,
            "src-uri": centre,
            "src-queue": names.assignments_queue(region.name),
            "dest-uri": local,
            "dest-exchange": names.ASSIGNMENTS_EXCHANGE,
        },
        names.shovel_name(region.name, "up"): {
            **common,
            "src-uri": local,
            "src-queue": names.REGION_UPLINK,
            "dest-uri": centre,
            "dest-exchange": names.UP_EXCHANGE,
        },
    }


def uplink_arguments(buffer_bytes: int) -> dict[str, Any]:
    return {"x-max-length-bytes": buffer_bytes, "x-overflow": "reject-publish"}


# --- add, remove, status ------------------------------------------------------------------


async def declare_centre(settings: Settings, region: str) -> None:
    """At the centre: the region's assignments queue, and the exchange the up shovel feeds."""
    connection = await amqp.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        await amqp.up_exchange(channel)
        await amqp.region_assignments_queue(channel, region)


async def declare_region(admin: RabbitAdmin, region: Region, centre_url: str) -> None:
    await admin.overview()  # fails early, with a clear message, if the broker is unreachable
    await admin.declare_exchange(names.ASSIGNMENTS_EXCHANGE, "topic")
    await admin.declare_exchange(names.UP_EXCHANGE, "topic")
    await admin.declare_queue(names.REGION_UPLINK, uplink_arguments(region.buffer_bytes))
    await admin.bind(names.UP_EXCHANGE, names.REGION_UPLINK, "#")
    for name, definition in shovels(region, centre_url).items():
        await admin.set_shovel(name, definition)


async def add(settings: Settings, region: Region, env: Mapping[str, str]) -> None:
    """Wire a region to the centre; safe to run again (it converges)."""
    if not valid_name(region.name):
        raise ConfigError(f"region {region.name!r}: use 1-32 of a-z, 0-9, '-' and '_'")
    centre_url = read_secret(env, region.centre_url_env)
    management_url = read_secret(env, region.management_url_env)
    await declare_centre(settings, region.name)
    async with RabbitAdmin(management_url, region.vhost) as admin:
        await declare_region(admin, region, centre_url)
    regions = load(settings.regions_file)
    regions[region.name] = region
    save(settings.regions_file, regions)


async def remove(settings: Settings, name: str, env: Mapping[str, str]) -> list[str]:
    """Undo `add`. Returns warnings: an uplink still holding results is kept, not dropped."""
    regions = load(settings.regions_file)
    if name not in regions:
        raise ConfigError(f"no region {name!r} in {settings.regions_file}")
    region = regions[name]
    warnings = []
    async with RabbitAdmin(read_secret(env, region.management_url_env), region.vhost) as admin:
        for shovel in shovels(region, "amqp://"):
            await admin.delete_shovel(shovel)
        await admin.delete_queue(names.REGION_UPLINK, if_empty=True)
        left = await admin.queue(names.REGION_UPLINK)
        if left:
            warnings.append(
                f"{names.REGION_UPLINK} on the region still holds "
                f"{left.get('messages', '?')} messages; kept"
            )
    connection = await amqp.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        for queue in (
            names.assignments_queue(name),
            names.dead_letter(names.assignments_queue(name)),
        ):
            await channel.queue_delete(queue)
    del regions[name]
    save(settings.regions_file, regions)
    return warnings


async def status(settings: Settings, env: Mapping[str, str]) -> list[dict[str, Any]]:
    """Each region with its shovels' state, its queue depths and its nodes, for `region list`.
    A region that cannot be reached is listed with the reason, not skipped."""
    fleet = await _nodes(settings.database_url)
    out = []
    for region in load(settings.regions_file).values():
        entry: dict[str, Any] = {
            "region": region.name,
            "vhost": region.vhost,
            "centre_queue": await _centre_depth(settings, names.assignments_queue(region.name)),
            "nodes": fleet.get(region.name, []),
        }
        try:
            url = read_secret(env, region.management_url_env)
            async with RabbitAdmin(url, region.vhost) as admin:
                states = await admin.shovel_states()
                uplink = await admin.queue(names.REGION_UPLINK) or {}
        except (AdminError, ConfigError) as exc:
            entry["error"] = str(exc)
        else:
            entry["shovels"] = {n: states.get(n, "missing") for n in shovels(region, "amqp://")}
            entry["uplink"] = {
                "messages": uplink.get("messages"),
                "bytes": uplink.get("message_bytes"),
            }
        out.append(entry)
    return out


async def _centre_depth(settings: Settings, queue: str) -> int | None:
    connection = await amqp.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        try:
            declared = await channel.declare_queue(queue, passive=True)
        except aio_pika.exceptions.ChannelClosed:
            return None  # no such queue
        return declared.declaration_result.message_count


async def _nodes(database_url: str) -> dict[str, list[dict[str, Any]]]:
    try:
        conn = await asyncpg.connect(database_url)
    except (OSError, asyncpg.PostgresError):
        return {}  # the nodes are a cell's view; shovels and queues still tell a lot
    try:
        rows = await conn.fetch(
            "SELECT region, node, version, last_heartbeat, tests_held,"
            " backlog FROM nodes ORDER BY region, node"
        )
    except asyncpg.PostgresError:
        rows = []
    finally:
        await conn.close()
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["region"], []).append(
            {
                "node": r["node"],
                "version": r["version"],
                "tests_held": r["tests_held"],
                "backlog": r["backlog"],
                "last_heartbeat": r["last_heartbeat"].isoformat(),
            }
        )
    return out
