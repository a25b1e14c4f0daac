"""One delivery: a notification for one channel, as it travels on the deliveries queue.

The contract lives once, in `shared/delivery_message.py`, since the API publishes deliveries
too; this module names it for the notifier's own modules.
"""

from __future__ import annotations

from shared.delivery_message import (
    MAX_BODY,
    WIRE_VERSION,
    Delivery,
    decode_delivery,
    encode_delivery,
)

__all__ = ["MAX_BODY", "WIRE_VERSION", "Delivery", "decode_delivery", "encode_delivery"]
