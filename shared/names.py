"""Every exchange, queue and routing key in one place.

Dead-letter queues are derived by `dead_letter(queue)`, so every queue has one by construction.
"""

ASSIGNMENTS_EXCHANGE = "vigil.assignments"  # topic: routing key region.<region>
RESULTS_EXCHANGE = "vigil.results"  # direct: routing key <cell>
RESYNC_EXCHANGE = "vigil.resync"  # topic: routing key <cell>, or RESYNC_ALL for every cell
RESYNC_ALL = "all"
DEAD_LETTER_EXCHANGE = "vigil.dlx"  # direct: routing key is the dead queue's name
EVENTS_EXCHANGE = "vigil.events"  # topic: routing key incident.<kind>.<cell>
NOTIFICATIONS_QUEUE = "vigil.notifications"  # the notifier's queue: every incident event
NOTIFICATIONS_BINDING = "incident.#"


def assignments_key(region: str) -> str:
    return f"region.{region}"


def assignments_queue(region: str) -> str:
    return f"vigil.assignments.{region}"


def results_queue(cell: str) -> str:
    return f"vigil.results.{cell}"


def resync_queue(cell: str) -> str:
    return f"vigil.resync.{cell}"


def dead_letter(queue: str) -> str:
    return f"{queue}.dead"


def incident_key(kind: str, cell: str) -> str:
    return f"incident.{kind}.{cell}"
