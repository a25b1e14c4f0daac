"""The notification channel kinds and which of their config fields are secret.

One list for the API (what it accepts and encrypts), the notifier (what it can send) and the
frontend (what it offers): tests/test_channel_kinds.py fails when any of them disagrees.
"""

from __future__ import annotations

# kind -> the config fields stored encrypted and answered masked
SECRETS: dict[str, frozenset[str]] = {
    "email": frozenset({"password"}),
    "webhook": frozenset({"url", "secret"}),
    "slack": frozenset({"url"}),
    "teams": frozenset({"url"}),
    "discord": frozenset({"url"}),
    "mattermost": frozenset({"url"}),
    "telegram": frozenset({"token"}),
    "pagerduty": frozenset({"routing_key"}),
    "hook": frozenset(),
}
KINDS: tuple[str, ...] = tuple(SECRETS)
OPERATOR_KINDS = frozenset({"hook"})  # only the cell's operator may create these
