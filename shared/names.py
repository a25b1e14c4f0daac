"""Every exchange, queue and routing key in one place.

Dead-letter queues are derived by `dead_letter(queue)`, so every queue has one by construction.
"""

# The names that end up in queue names, routing keys and URLs, checked by the same pattern
# wherever they are read (settings, API bodies, the notifier's hook programs, the frontend).
NAME_PATTERN = r"[a-z0-9][a-z0-9_-]{0,31}"  # a cell, region or hook program
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"  # a status page's slug, a DNS label
SLUG_MIN_LENGTH = 3
LANGUAGE_PATTERN = r"^[a-z]{2}(?:-[A-Z]{2})?$"  # a status page's language
MAX_PAGE_GROUPS = 20  # groups on one status page
MAX_GROUP_NAME = 100
# A status page's days of daily bars (migration 0021 holds the same list in a CHECK) and its
# SLA targets in percent, strictly between the two bounds: the API's bodies, the file of
# `vigil apply` (shared.ascode_format) and the frontend's form all read them from here.
HISTORY_DAYS = (30, 90, 365)
DEFAULT_HISTORY_DAYS = 90
SLA_TARGET_ABOVE = 0  # exclusive bounds of an SLA target
SLA_TARGET_BELOW = 100
# A status page's branding (migration 0023): an accent colour as #rrggbb (stored lower-case;
# the migration's CHECK holds the same pattern), up to MAX_FOOTER_LINKS footer links of an
# http(s) URL and a label, and an https favicon. The API, `vigil apply` and the form read these.
ACCENT_COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"
MAX_FOOTER_LINKS = 5
MAX_FOOTER_LABEL = 60
MAX_PAGE_URL = 2048  # a logo's, a favicon's or a footer link's URL

ASSIGNMENTS_EXCHANGE = "vigil.assignments"  # topic: routing key region.<region>.node.<node>
RESULTS_EXCHANGE = "vigil.results"  # direct: routing key <cell>
RESYNC_EXCHANGE = "vigil.resync"  # topic: routing key <cell>, or RESYNC_ALL for every cell
RESYNC_ALL = "all"
DEAD_LETTER_EXCHANGE = "vigil.dlx"  # direct: routing key is the dead queue's name
DELIVERIES_EXCHANGE = "vigil.deliveries"  # direct: routing key <cell>; one notification each

# Everything an executor sends towards the cells goes to this topic exchange of its own broker:
# result batches (key <cell>), resync requests (resync.<cell>) and heartbeats
# (heartbeat.<region>.<node>). At the centre the consumers bind their queues to it; on a region
# broker one queue (REGION_UPLINK) catches it all and one shovel carries it to the centre's.
UP_EXCHANGE = "vigil.up"
REGION_UPLINK = "vigil.uplink"  # on a region broker: everything waiting to go up
EVENTS_EXCHANGE = "vigil.events"  # topic: incident.<kind>.<cell>, cert.expiring.<cell>,
# page.<kind>.<cell> (an owner's manual incident or a maintenance window, for subscribers)


def assignments_key(region: str, node: str) -> str:
    return f"region.{region}.node.{node}"


def region_assignments_pattern(region: str) -> str:
    """Binds the centre's queue of a remote region to the assignments of all its nodes."""
    return f"region.{region}.node.#"


def assignments_queue(region: str) -> str:
    """At the centre: a remote region's assignments, waiting for its down shovel."""
    return f"vigil.assignments.{region}"


def node_assignments_queue(region: str, node: str) -> str:
    """On the executor's own broker: the assignments of one node."""
    return f"vigil.assignments.{region}.node.{node}"


def resync_key(cell: str) -> str:
    return f"resync.{cell}"


def heartbeat_key(region: str, node: str) -> str:
    return f"heartbeat.{region}.{node}"


HEARTBEAT_PATTERN = "heartbeat.#"

# "Check now": a node that sees a test fail asks its cell's scheduler (vigil.up, key
# checknow.<cell>), which asks the node holding the test in each other region (vigil.assignments,
# key region.<region>.node.<node>.now: under the region's pattern, so a remote region's down
# shovel carries it). The node's assignment queue is bound to both keys; the message type tells
# a check-now from an assignment.
CHECK_NOW_TYPE = "vigil.check_now"
CHECK_NOW_TTL_MS = 30_000  # a confirmation asked for longer ago than this is worth nothing


def check_now_key(cell: str) -> str:
    return f"checknow.{cell}"


def check_now_queue(cell: str) -> str:
    return f"vigil.checknow.{cell}"


def node_check_now_key(region: str, node: str) -> str:
    return f"{assignments_key(region, node)}.now"


SENT_AT_HEADER = "x-sent-at-ms"  # on assignments: the scheduler's clock, for the node's offset


def heartbeats_queue(cell: str) -> str:
    return f"vigil.heartbeats.{cell}"


def shovel_name(region: str, direction: str) -> str:
    """The dynamic shovels of a region, on its broker: direction is "down" or "up"."""
    return f"vigil-{region}-{direction}"


def results_queue(cell: str) -> str:
    return f"vigil.results.{cell}"


# The API publishes the pings of heartbeat tests to the cell's results queue (UP_EXCHANGE,
# key <cell>) beside the executors' result batches; this message type tells them apart.
PING_BATCH_TYPE = "vigil.pings"


def resync_queue(cell: str) -> str:
    return f"vigil.resync.{cell}"


def deliveries_queue(cell: str) -> str:
    return f"vigil.deliveries.{cell}"


def deliveries_wait_queue(cell: str, delay_ms: int) -> str:
    """A delay queue: every message in it waits `delay_ms`, then goes back to the cell's
    deliveries queue. One queue per delay, so the head of a queue always expires first."""
    return f"vigil.deliveries.{cell}.wait.{delay_ms}"


def dead_letter(queue: str) -> str:
    return f"{queue}.dead"


def incident_key(kind: str, cell: str) -> str:
    return f"incident.{kind}.{cell}"


def cert_key(cell: str) -> str:
    """A certificate of one of the cell's tests nears its expiry (result_processor.certs)."""
    return f"cert.expiring.{cell}"


def page_key(kind: str, cell: str) -> str:
    """The owner's news on a status page (a manual incident, a maintenance window)."""
    return f"page.{kind}.{cell}"


def notifications_queue(cell: str) -> str:
    """A cell's notifier hears the incident and certificate events of its own cell only."""
    return f"vigil.notifications.{cell}"


def notifications_bindings(cell: str) -> tuple[str, ...]:
    return f"incident.*.{cell}", cert_key(cell), f"page.*.{cell}"


def cell_queues(cell: str) -> list[str]:
    """The queues a cell consumes from, each followed by its dead-letter queue."""
    queues = [
        results_queue(cell),
        resync_queue(cell),
        heartbeats_queue(cell),
        check_now_queue(cell),
        notifications_queue(cell),
        deliveries_queue(cell),
    ]
    return [name for queue in queues for name in (queue, dead_letter(queue))]


def is_cell_queue(name: str, cell: str) -> bool:
    """One of the cell's queues, its dead letters, or a delay queue of its deliveries."""
    return name in cell_queues(cell) or name.startswith(f"{deliveries_queue(cell)}.wait.")
