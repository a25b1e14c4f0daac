"""Every exchange, queue and routing key in one place.

Dead-letter queues are derived by `dead_letter(queue)`, so every queue has one by construction.
"""

ASSIGNMENTS_EXCHANGE = "vigil.assignments"  # topic: routing key region.<region>
RESULTS_EXCHANGE = "vigil.results"  # direct: routing key <cell>
RESYNC_EXCHANGE = "vigil.resync"  # topic: routing key <cell>, or RESYNC_ALL for every cell
RESYNC_ALL = "all"
DEAD_LETTER_EXCHANGE = "vigil.dlx"  # direct: routing key is the dead queue's name
DELIVERIES_EXCHANGE = "vigil.deliveries"  # direct: routing key <cell>; one notification each


def assignments_key(region: str) -> str:
    return f"region.{region}"


def assignments_queue(region: str) -> str:
    return f"vigil.assignments.{region}"


def results_queue(cell: str) -> str:
    return f"vigil.results.{cell}"


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
