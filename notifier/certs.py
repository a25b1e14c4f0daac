"""A certificate nearing expiry, told to the channels of its monitor once.

The processor emits one `CertEvent` per test and per certificate (`result_processor.certs`)
on the same queue as incident events. Each becomes a `cert_expiring` delivery per enabled
channel of the test's monitor, keyed `cert/<cell>/<test>/<expiry day>/<channel>`: a replayed
or duplicated event makes the same deliveries, which the ledger sends once. The fan-out
(`notifier.fanout.FanOut.plan_cert`) reads `TEST` and registers the deliveries. A maintenance
window covering the monitor when the certificate was seen mutes it, as it mutes incidents.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from notifier.message import Notification, known_language, target_of
from shared import delivery_keys
from shared.messages import CertEvent

KIND = "cert_expiring"
TEST = """
SELECT t.account_id, t.config, m.id AS monitor_id, m.name AS monitor, a.language
FROM tests t JOIN monitors m ON m.id = t.monitor_id JOIN accounts a ON a.id = t.account_id
WHERE t.id = $1
"""


def event_key(event: CertEvent) -> str:
    return delivery_keys.cert(event.cell, event.test_id, event.expires_on)


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def checked_at(event: CertEvent) -> datetime:
    return _time(event.checked_at_ms)


def notification(event: CertEvent, row: Any) -> Notification:
    return Notification(
        kind=KIND,
        key=event_key(event),
        monitor=row["monitor"],
        target=target_of(row["config"]),
        expires_at=_time(event.expires_at_ms),
        language=known_language(row["language"]),
        extra={
            "test_id": event.test_id,
            "days": event.days,
            "region": event.region,
            "checked_at": _time(event.checked_at_ms).isoformat(),
            "cell": event.cell,
        },
    )
