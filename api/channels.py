"""Notification channel kinds: the settings each takes, and which of them are secret.

A secret is stored encrypted (`api.secretbox`) and answered masked. A kind is one model
here; the notifier that sends through it lives with the result processor.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import EmailStr, Field, ValidationError

from api.schemas import Input, Url
from api.validation import relocated

MASK = "********"
Text = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]


class EmailConfig(Input):
    to: Annotated[list[EmailStr], Field(min_length=1, max_length=10)]
    smtp_host: Text | None = None
    smtp_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    smtp_username: Text | None = None
    smtp_password: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class WebhookConfig(Input):
    webhook_url: Url


class SlackConfig(Input):
    webhook_url: Url


class TelegramConfig(Input):
    chat_id: Annotated[str, Field(pattern=r"^-?[0-9]{1,20}$|^@[A-Za-z0-9_]{5,32}$")]
    bot_token: Annotated[str, Field(pattern=r"^[0-9]{1,12}:[A-Za-z0-9_-]{20,64}$")]


KINDS: dict[str, type[Input]] = {
    "email": EmailConfig,
    "webhook": WebhookConfig,
    "slack": SlackConfig,
    "telegram": TelegramConfig,
}
SECRETS: dict[str, frozenset[str]] = {
    "email": frozenset({"smtp_password"}),
    "webhook": frozenset({"webhook_url"}),
    "slack": frozenset({"webhook_url"}),
    "telegram": frozenset({"bot_token"}),
}


def validated(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    """The config as the kind's model accepts it (None left out); a 422 naming the field."""
    try:
        model = KINDS[kind].model_validate(config)
    except ValidationError as exc:
        raise relocated(exc, ("body", "config")) from None
    return model.model_dump(exclude_none=True)


def split(kind: str, config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what may be stored in clear, what must be encrypted)."""
    secret = SECRETS[kind]
    return ({k: v for k, v in config.items() if k not in secret},
            {k: v for k, v in config.items() if k in secret})


def masked(clear: dict[str, Any], secret: dict[str, Any]) -> dict[str, Any]:
    return {**clear, **{key: MASK for key in secret}}


def merged(kind: str, current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """A PATCH's config over the current one; a secret sent back masked keeps its value."""
    kept = {k: v for k, v in patch.items() if not (k in SECRETS[kind] and v == MASK)}
    return validated(kind, {**current, **kept})
