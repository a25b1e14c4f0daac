"""The one error a delivery raises, by a channel or by the transports below them."""

from __future__ import annotations


class DeliveryError(Exception):
    """A delivery failed; `permanent` when retrying cannot help (bad config, refused).
    `detail` is what the receiver answered, if it did (an HTTP status and body, a hook's
    exit code and output), recorded with the attempt as a success's note is."""

    def __init__(self, message: str, permanent: bool = False, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.detail = detail
